# The harness the benchmark scripts share (dot-sourced by bench/backup.ps1 and bench/sync.ps1): status lines, the
# running pwsh, the machine's and the servers' CPU from /proc, waiting for a quiet machine, timing a command under
# GNU time, medians, the commit and the module build; the services side (test services, S3 servers, AWS environment)
# is _BenchServices.ps1, dot-sourced at the end. The calling script defines $RepoRoot, $TestServicesDir, $WorkDir
# and $QuietTimeout; $script:S3Servers / $script:ServerGroups are filled by it and by _BenchServices.ps1.

function Write-Status([string]$Message) { [Console]::Error.WriteLine("[bench] $(Get-Date -Format 'HH:mm:ss') $Message") }

function ConvertTo-ShArg([string]$Text) { "'" + ($Text -replace "'", "'\''") + "'" }

# The running PowerShell as a command line: pwsh itself, or `dotnet <PSHOME>/pwsh.dll` for the dotnet tool
# (`dotnet pwsh` goes through the SDK and a shim: extra processes that GNU time would count).
function Get-PwshCommand {
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'pwsh') { return , @($exe) }
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path -LiteralPath $dll -PathType Leaf) { return , @($exe, $dll) }
    throw "Cannot tell how to start PowerShell (process '$exe', PSHOME '$PSHOME')."
}

# Clock ticks per second of /proc CPU times (USER_HZ, 100 on Linux).
try { $script:ClkTck = [double](& getconf CLK_TCK) } catch { $script:ClkTck = 100.0 }
$script:ServerGroups = [ordered]@{}   # 'Postgres' | 'RGW' | 's3rver' -> process ids (RGW: radosgw, ceph-osd, ceph-mon; s3rver: node)
$script:ServicePids = @()             # processes whose children Invoke-Timed waits for (backup.ps1: all servers')
$script:S3Servers = [ordered]@{}      # 'RGW' [, 's3rver'] -> Endpoint, AccessKey, SecretKey
$script:NoisyWaits = 0                # steps measured on a machine that did not go quiet (Wait-Quiet)

# CPU seconds the whole machine has been busy (all cores) since boot.
function Get-MachineBusySeconds {
    $f = (Get-Content -LiteralPath /proc/stat -TotalCount 1) -split '\s+'
    # cpu user nice system idle iowait irq softirq steal
    ([long]$f[1] + [long]$f[2] + [long]$f[3] + [long]$f[6] + [long]$f[7] + [long]$f[8]) / $script:ClkTck
}

# CPU seconds per server group of $script:ServerGroups (name -> process ids, set by the calling script): its processes,
# their live children, and their children already reaped.
function Get-ServerCpuByGroup {
    $ticks = @{}
    $owner = @{}
    foreach ($g in $script:ServerGroups.Keys) { $ticks[$g] = 0L; foreach ($p in $script:ServerGroups[$g]) { $owner[[int]$p] = $g } }
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [IO.File]::ReadAllText("$dir/stat") } catch { continue }
        $f = $stat.Substring($stat.LastIndexOf(')') + 2) -split ' '
        $procId = [int]$name
        if ($owner.ContainsKey($procId)) { $ticks[$owner[$procId]] += [long]$f[11] + [long]$f[12] + [long]$f[13] + [long]$f[14] }
        elseif ($owner.ContainsKey([int]$f[1])) { $ticks[$owner[[int]$f[1]]] += [long]$f[11] + [long]$f[12] }
    }
    $seconds = @{}
    foreach ($g in $ticks.Keys) { $seconds[$g] = $ticks[$g] / $script:ClkTck }
    $seconds
}
# Processes whose parent is one of $script:ServicePids (PostgreSQL backends).
function Get-ServerChildCount {
    if (-not $script:ServicePids) { return 0 }
    $n = 0
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [IO.File]::ReadAllText("$dir/stat") } catch { continue }
        $ppid = [int](($stat.Substring($stat.LastIndexOf(')') + 2) -split ' ')[1])
        if ($script:ServicePids -contains $ppid) { $n++ }
    }
    $n
}
# This script's own CPU (not its reaped children: the measured steps are those).
function Get-SelfCpuSeconds {
    $stat = [IO.File]::ReadAllText("/proc/$PID/stat")
    $f = $stat.Substring($stat.LastIndexOf(')') + 2) -split ' '
    ([long]$f[11] + [long]$f[12]) / $script:ClkTck
}

. (Join-Path (Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'tests') 'TestServices') 'S3Signing.ps1')   # Invoke-SignedS3Request

# The processes that make up the S3 server listening on the endpoint's port: s3rver is one node process; Ceph RGW is
# radosgw plus the ceph-osd and ceph-mon of its cluster (the processes whose command line names the same ceph.conf).
function Get-S3ServerProcessIds([string]$Endpoint) {
    $port = ([uri]$Endpoint).Port
    $ssOut = (& ss -Hltnp "sport = :$port" 2>$null) -join ' '
    if ($ssOut -notmatch 'pid=(\d+)') { throw "no process listens on port $port (ss: $ssOut)" }
    $listener = [int]$Matches[1]
    $argv = @(([IO.File]::ReadAllText("/proc/$listener/cmdline")) -split "`0" | Where-Object { $_ })
    $i = [array]::IndexOf($argv, '-c')
    if ([IO.Path]::GetFileName($argv[0]) -ne 'radosgw' -or $i -lt 0 -or $i + 1 -ge $argv.Count) { return , @($listener) }
    $conf = $argv[$i + 1]
    $found = @($listener)
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$' -or [int]$name -eq $listener) { continue }
        try { $a = @(([IO.File]::ReadAllText("$dir/cmdline")) -split "`0" | Where-Object { $_ }) } catch { continue }
        if ($a.Count -lt 3 -or [IO.Path]::GetFileName($a[0]) -notin 'ceph-osd', 'ceph-mon') { continue }
        $j = [array]::IndexOf($a, '-c')
        if ($j -ge 0 -and $j + 1 -lt $a.Count -and $a[$j + 1] -eq $conf) { $found += [int]$name }
    }
    , $found
}

# ------------------------------------------------------------------------------------------------ timing
# Before each step: wait (up to $QuietTimeout s) until the processes other than this script use fewer than
# $script:QuietThreshold cores. A step measured anyway counts in $script:NoisyWaits.
$script:QuietThreshold = 0.2
function Wait-Quiet {
    if ($QuietTimeout -le 0) { return }
    $deadline = [DateTime]::UtcNow.AddSeconds($QuietTimeout)
    $told = $false
    while ($true) {
        $b0 = Get-MachineBusySeconds; $s0 = Get-SelfCpuSeconds
        Start-Sleep -Milliseconds 1000
        $busy = (Get-MachineBusySeconds) - $b0 - ((Get-SelfCpuSeconds) - $s0)
        if ($busy -lt $script:QuietThreshold) { return }
        if ([DateTime]::UtcNow -gt $deadline) {
            Write-Status ('  machine still busy ({0:N2} cores used by other processes) after {1} s: measuring anyway' -f $busy, $QuietTimeout)
            $script:NoisyWaits++
            return
        }
        if (-not $told) { Write-Status ('  waiting for the machine to go quiet ({0:N2} cores busy outside this step)' -f $busy); $told = $true }
        Start-Sleep -Seconds 2
    }
}

# Runs one command line under GNU time. Returns seconds (wall), peak RSS (MB, largest process of the tree),
# CPU seconds (user+sys of the tree), the servers' CPU (-S3: the S3 server the step talks to; PostgreSQL when
# $script:ServerGroups has it), the CPU anything else used meanwhile, exit code and stderr.
function Invoke-Timed {
    param(
        [string[]]$Command = @(),
        [string]$StdOut = '/dev/null',
        [string]$StdIn,
        [string]$ShellLine,           # a whole sh command line (pipelines) instead of -Command
        [hashtable]$Environment = @{},
        [string]$S3 = '',             # 'RGW' | 's3rver': the S3 server the step talks to ('' = none)
        [switch]$AllowFailure,
        [switch]$NoWait,
        [string[]]$Unset = @()        # environment variables the command runs without
    )
    $id = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $timeFile = Join-Path $WorkDir "time-$id.txt"
    $errFile = Join-Path $WorkDir "stderr-$id.txt"
    $inner = if ($ShellLine) { "/bin/sh -c $(ConvertTo-ShArg $ShellLine)" } else { ($Command | ForEach-Object { ConvertTo-ShArg $_ }) -join ' ' }
    $unsetPrefix = ($Unset | ForEach-Object { "unset $_; " }) -join ''
    $line = "${unsetPrefix}exec /usr/bin/time -o $(ConvertTo-ShArg $timeFile) -f '%e %M %U %S' $inner >$(ConvertTo-ShArg $StdOut) 2>$(ConvertTo-ShArg $errFile)"
    if ($StdIn) { $line += " <$(ConvertTo-ShArg $StdIn)" }
    $saved = @{}
    foreach ($k in $Environment.Keys) {
        $saved[$k] = [Environment]::GetEnvironmentVariable($k)
        [Environment]::SetEnvironmentVariable($k, [string]$Environment[$k])
    }
    try {
        if (-not $NoWait) { Wait-Quiet }
        $children0 = Get-ServerChildCount
        $srv0 = Get-ServerCpuByGroup; $self0 = Get-SelfCpuSeconds; $busy0 = Get-MachineBusySeconds
        & /bin/sh -c $line
        $rc = $LASTEXITCODE
        # A backend's CPU moves to the postmaster's "children" total only once it has exited and been reaped:
        # wait (up to 3 s) for the step's backends to go before reading the servers' CPU.
        $until = [DateTime]::UtcNow.AddSeconds(3)
        while ((Get-ServerChildCount) -gt $children0 -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 50 }
        $busy1 = Get-MachineBusySeconds; $self1 = Get-SelfCpuSeconds; $srv1 = Get-ServerCpuByGroup
    } finally {
        foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
    $stderr = if (Test-Path -LiteralPath $errFile) { (Get-Content -LiteralPath $errFile -Raw) } else { '' }
    $stats = if (Test-Path -LiteralPath $timeFile) {
        Get-Content -LiteralPath $timeFile | Where-Object { $_ -match '^[\d.]+ \d+ [\d.]+ [\d.]+$' } | Select-Object -Last 1
    }
    Remove-Item -LiteralPath $timeFile, $errFile -Force -ErrorAction SilentlyContinue
    if ($rc -ne 0 -and -not $AllowFailure) {
        $what = if ($ShellLine) { $ShellLine } else { $Command -join ' ' }
        throw "Failed (exit $rc): $what`n$stderr"
    }
    if (-not $stats) { throw "GNU time wrote no statistics for: $($Command -join ' ') $ShellLine`n$stderr" }
    $f = $stats -split ' '
    $inv = [Globalization.CultureInfo]::InvariantCulture
    $cpu = [double]::Parse($f[2], $inv) + [double]::Parse($f[3], $inv)
    $pgCpu = 0.0; $s3Cpu = 0.0; $idleCpu = 0.0
    foreach ($g in $srv1.Keys) {
        $d = $srv1[$g] - $srv0[$g]
        if ($g -eq 'Postgres') { $pgCpu += $d } elseif ($g -eq $S3) { $s3Cpu += $d } else { $idleCpu += $d }
    }
    [pscustomobject]@{
        Seconds = [double]::Parse($f[0], $inv)
        PeakMB  = [long]$f[1] / 1024.0
        CpuSec  = $cpu
        ServerCpuSec = [math]::Max(0.0, $pgCpu + $s3Cpu)
        S3CpuSec     = [math]::Max(0.0, $s3Cpu)
        OtherCpuSec  = [math]::Max(0.0, ($busy1 - $busy0) - $cpu - $pgCpu - $s3Cpu - $idleCpu - ($self1 - $self0))
        Exit    = $rc
        StdErr  = $stderr
    }
}

# The median of the values that are not NaN (NaN when none is).
function Get-Median([double[]]$Values) {
    $v = @($Values | Where-Object { -not [double]::IsNaN($_) } | Sort-Object)
    if ($v.Count -eq 0) { return [double]::NaN }
    if ($v.Count % 2) { return $v[[int][math]::Floor($v.Count / 2)] }
    ($v[$v.Count / 2 - 1] + $v[$v.Count / 2]) / 2
}

# What is measured: the commit, and whether src/ differs from it (the module is built from the working tree).
function Get-CommitInfo {
    [pscustomobject]@{
        Commit = $(try { (& git -C $RepoRoot rev-parse --short HEAD 2>$null) } catch { '?' })
        Dirty  = $(try { @(& git -C $RepoRoot status --porcelain -- src 2>$null).Count -gt 0 } catch { $false })
    }
}

# build.ps1 -Task Build in a child pwsh (-Pwsh: Get-PwshCommand), its output on stderr. Returns its exit code.
function Invoke-ModuleBuild([string[]]$Pwsh) {
    Write-Status 'building the module (build.ps1 -Task Build)'
    $exe = $Pwsh[0]; $argv = @($Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $RepoRoot 'build.ps1'), '-Task', 'Build')
    Push-Location -LiteralPath $RepoRoot
    try { & $exe @argv 2>&1 | ForEach-Object { [Console]::Error.WriteLine("  $_") }; $LASTEXITCODE } finally { Pop-Location }
}

. (Join-Path $PSScriptRoot '_BenchServices.ps1')   # Save-BenchEnvironment, Start-BenchServices, Register-S3Servers, Find-S3ServerProcesses, Get-S3ServerVersions, Set-AwsEnvironment, Get-S3Environment, Install-AptTool
