<#
.SYNOPSIS
    Measures what Import-Module ClutterDR adds to PowerShell's start-up.

.DESCRIPTION
    Times, in fresh processes, interleaved run by run (so that machine noise hits every variant alike):

      bare pwsh            pwsh -NoProfile -NonInteractive -c exit
      Import-Module        pwsh -NoProfile -NonInteractive -c 'Import-Module <module>/ClutterDR.psd1; exit'
      diag: no format file the same, from a temp copy of the module whose manifest has no FormatsToProcess:
                           what loading the views costs
      diag: empty module   a manifest-only module (no RootModule): what PowerShell's module machinery costs
                           before any ClutterDR code or file is touched

    Each variant has its own pwsh cache folder (XDG_CACHE_HOME), where pwsh keeps the startup profile it replays
    on the next start, so each is measured as a machine that runs it every time would see it.

    Each run is timed by GNU time (/usr/bin/time) when present: wall seconds and CPU seconds (user + sys; pwsh
    JIT-compiles on several threads, so CPU exceeds wall). CPU is the steadier number on a busy machine.
    Reports medians and quartiles of each, and the Import-Module median over the bare median (target: at most
    +30%). Also checks, in one more process, that import loads no SDK assembly
    (Npgsql, AWSSDK.*, ZstdSharp): they load on a cmdlet's first use.

    Writes bench/results/import-<date>.md and prints it.

.PARAMETER Runs
    Runs of each variant (default 40).

.PARAMETER ModulePath
    The module's manifest (default out/ClutterDR/ClutterDR.psd1; build it first with build.ps1 -Task Build).
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    [int]$Runs = 40,
    [string]$ModulePath = (Join-Path (Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'out') 'ClutterDR') 'ClutterDR.psd1')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$moduleDir = Split-Path -Parent $ModulePath
$pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')

# Diagnostics: a copy of the module without its format file, and an empty manifest-only module.
$diagDir = Join-Path ([IO.Path]::GetTempPath()) ('clutterdr-import-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$noFormatManifest = Join-Path (Join-Path $diagDir 'ClutterDR') 'ClutterDR.psd1'
$null = New-Item -ItemType Directory -Path $diagDir
Copy-Item -LiteralPath $moduleDir -Destination (Join-Path $diagDir 'ClutterDR') -Recurse
(Get-Content -LiteralPath $noFormatManifest -Raw) -replace "(?m)^\s*FormatsToProcess\s*=.*$", '' |
    Set-Content -LiteralPath $noFormatManifest -Encoding utf8NoBOM
$emptyManifest = Join-Path (Join-Path $diagDir 'Empty') 'Empty.psd1'
$null = New-Item -ItemType Directory -Path (Split-Path -Parent $emptyManifest)
"@{ ModuleVersion = '1.0'; GUID = '$([guid]::NewGuid())' }" | Set-Content -LiteralPath $emptyManifest -Encoding utf8NoBOM

$variants = [ordered]@{
    'bare pwsh'          = 'exit'
    'Import-Module'      = "Import-Module '$ModulePath'; exit"
    'diag: no format file' = "Import-Module '$noFormatManifest'; exit"
    'diag: empty module'   = "Import-Module '$emptyManifest'; exit"
}

$gnuTime = '/usr/bin/time'
$useGnuTime = Test-Path -LiteralPath $gnuTime
$timeFile = Join-Path $diagDir 'time.txt'

# Each variant keeps its own pwsh cache folder: pwsh records a startup profile there
# (StartupProfileData-NonInteractive) and on the next start eagerly loads and JIT-compiles what it lists, so a
# shared folder would let one variant's runs speed up or slow down another's. The warm-up run writes it.
$cacheDirs = @{}
function Measure-Once([string]$Command) {
    if (-not $IsWindows) {
        if (-not $cacheDirs.ContainsKey($Command)) { $cacheDirs[$Command] = Join-Path $diagDir "cache-$($cacheDirs.Count)" }
        $env:XDG_CACHE_HOME = $cacheDirs[$Command]
    }
    if ($useGnuTime) {
        & $gnuTime -o $timeFile -f '%e %U %S' $pwsh -NoProfile -NonInteractive -Command $Command
        if ($LASTEXITCODE -ne 0) { throw "pwsh -c `"$Command`" exited $LASTEXITCODE" }
        $f = (Get-Content -LiteralPath $timeFile | Select-Object -Last 1).Split(' ')
        return [pscustomobject]@{ Wall = 1000 * [double]$f[0]; Cpu = 1000 * ([double]$f[1] + [double]$f[2]) }
    }
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & $pwsh -NoProfile -NonInteractive -Command $Command
    $sw.Stop()
    if ($LASTEXITCODE -ne 0) { throw "pwsh -c `"$Command`" exited $LASTEXITCODE" }
    [pscustomobject]@{ Wall = $sw.Elapsed.TotalMilliseconds; Cpu = [double]::NaN }
}

function Get-Quantile([double[]]$Sorted, [double]$Q) {
    $pos = ($Sorted.Count - 1) * $Q
    $lo = [Math]::Floor($pos); $hi = [Math]::Ceiling($pos)
    $Sorted[$lo] + ($Sorted[$hi] - $Sorted[$lo]) * ($pos - $lo)
}

# The SDKs must not load at import (with a fresh pwsh cache folder: see Measure-Once).
$savedCache = $env:XDG_CACHE_HOME
if (-not $IsWindows) { $env:XDG_CACHE_HOME = Join-Path $diagDir 'cache-sdk-check' }
$loaded = & $pwsh -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; [AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -match '^(ClutterDR\.Engine|Npgsql|AWSSDK|ZstdSharp|BouncyCastle)' -join ','"
if ($LASTEXITCODE -ne 0) { throw "Import-Module '$ModulePath' failed." }

# Warm-up: the first start of each variant pays for a cold disk cache.
foreach ($v in $variants.Values) { $null = Measure-Once $v }

$times = @{}
foreach ($k in $variants.Keys) { $times[$k] = [Collections.Generic.List[object]]::new() }
try {
    for ($i = 1; $i -le $Runs; $i++) {
        # Rotate the order each run so no variant always goes first.
        $keys = @($variants.Keys)
        $order = for ($j = 0; $j -lt $keys.Count; $j++) { $keys[($i + $j) % $keys.Count] }
        foreach ($k in $order) { $times[$k].Add((Measure-Once $variants[$k])) }
        if ($i % 10 -eq 0) { [Console]::Error.WriteLine("[bench] $i of $Runs runs") }
    }
} finally {
    $env:XDG_CACHE_HOME = $savedCache
    Remove-Item -LiteralPath $diagDir -Recurse -Force -ErrorAction SilentlyContinue
}

$stats = [ordered]@{}
foreach ($k in $variants.Keys) {
    $w = [double[]]($times[$k].Wall | Sort-Object)
    $c = [double[]]($times[$k].Cpu | Sort-Object)
    $stats[$k] = [pscustomobject]@{
        Wall = Get-Quantile $w 0.5; WallQ1 = Get-Quantile $w 0.25; WallQ3 = Get-Quantile $w 0.75
        Cpu = Get-Quantile $c 0.5; CpuQ1 = Get-Quantile $c 0.25; CpuQ3 = Get-Quantile $c 0.75
    }
}
$bare = $stats['bare pwsh']
$addedWall = ($stats['Import-Module'].Wall - $bare.Wall) / $bare.Wall
$addedCpu = ($stats['Import-Module'].Cpu - $bare.Cpu) / $bare.Cpu
$load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }

$commit = (& git -C $PSScriptRoot rev-parse --short HEAD 2>$null) ?? 'unknown'
$md = [Text.StringBuilder]::new()
$null = $md.AppendLine("# Import-Module ClutterDR start-up cost, $(Get-Date -Format 'yyyy-MM-dd HH:mm')").AppendLine()
$null = $md.AppendLine("Machine: $([Environment]::ProcessorCount) cores, $((Get-Content /etc/os-release -ErrorAction SilentlyContinue | Where-Object { $_ -like 'PRETTY_NAME=*' }) -replace 'PRETTY_NAME=|""'); load average at the end $load. PowerShell $($PSVersionTable.PSVersion) on $([Runtime.InteropServices.RuntimeInformation]::FrameworkDescription) (the dotnet tool build: IL only, everything is JIT-compiled at start). Commit $commit. $Runs runs of each variant, interleaved, after one warm-up each; each run a whole ``pwsh -NoProfile -NonInteractive -c`` process. Wall and CPU (user + sys) ms from GNU time.").AppendLine()
$null = $md.AppendLine('| Variant | Wall median ms | Wall Q1-Q3 ms | vs bare (wall) | CPU median ms | CPU Q1-Q3 ms | vs bare (CPU) |')
$null = $md.AppendLine('|---|---:|---:|---:|---:|---:|---:|')
foreach ($k in $stats.Keys) {
    $s = $stats[$k]
    $null = $md.AppendLine(('| {0} | {1:N0} | {2:N0}-{3:N0} | {4:+0.0;-0.0;0.0}% | {5:N0} | {6:N0}-{7:N0} | {8:+0.0;-0.0;0.0}% |' -f $k, $s.Wall, $s.WallQ1, $s.WallQ3,
        (100 * ($s.Wall - $bare.Wall) / $bare.Wall), $s.Cpu, $s.CpuQ1, $s.CpuQ3, (100 * ($s.Cpu - $bare.Cpu) / $bare.Cpu)))
}
$null = $md.AppendLine()
$null = $md.AppendLine(('Import-Module adds {0:N0} ms wall ({1:+0.0;-0.0}%) and {2:N0} ms CPU ({3:+0.0;-0.0}%) to a bare start; target at most +30%: {4}.' -f
    ($stats['Import-Module'].Wall - $bare.Wall), (100 * $addedWall), ($stats['Import-Module'].Cpu - $bare.Cpu), (100 * $addedCpu),
    $(if ($addedWall -le 0.30 -and $addedCpu -le 0.30) { 'met' } elseif ($addedWall -le 0.30 -or $addedCpu -le 0.30) { 'met on one measure only' } else { 'NOT met' })))
$null = $md.AppendLine(('The format file costs {0:N0} ms wall and {1:N0} ms CPU; an empty manifest-only module already adds {2:+0.0;-0.0}% wall and {3:+0.0;-0.0}% CPU (PowerShell''s own module machinery).' -f
    ($stats['Import-Module'].Wall - $stats['diag: no format file'].Wall), ($stats['Import-Module'].Cpu - $stats['diag: no format file'].Cpu),
    (100 * ($stats['diag: empty module'].Wall - $bare.Wall) / $bare.Wall), (100 * ($stats['diag: empty module'].Cpu - $bare.Cpu) / $bare.Cpu)))
$null = $md.AppendLine("SDK assemblies loaded by Import-Module alone: $(if ($loaded) { $loaded } else { 'none (ClutterDR.Engine, Npgsql, AWSSDK.*, ZstdSharp, BouncyCastle load on first use)' }).")

$resultsDir = Join-Path $PSScriptRoot 'results'
if (-not (Test-Path -LiteralPath $resultsDir)) { $null = New-Item -ItemType Directory -Path $resultsDir }
$file = Join-Path $resultsDir "import-$(Get-Date -Format 'yyyy-MM-dd').md"
$md.ToString() | Set-Content -LiteralPath $file -Encoding utf8NoBOM
$md.ToString()
[Console]::Error.WriteLine("[bench] written to $file")
