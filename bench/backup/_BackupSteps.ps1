# The backup benchmark's own harness (dot-sourced by bench/backup.ps1): psql and the databases, S3 prefixes, the
# module under test (built or given, copied privately), the pg_dump/pg_restore wrapper that times the tools the module
# starts, the child pwsh steps (Child-Backup.ps1, Child-Restore.ps1 beside this file), and the measured rows and steps.
# Uses the script variables bench/backup.ps1 sets ($WorkDir, $RepoRoot, $Bucket, $script:Psql, $script:Pg*, ...).

function Invoke-Psql {
    param([string]$Database = 'postgres', [Parameter(Mandatory)] [string]$Sql)
    $out = & $script:Psql -X -q -t -A -v ON_ERROR_STOP=1 -h $script:PgHost -p $script:PgPort -U $script:PgUser -d $Database -c $Sql 2>&1
    if ($LASTEXITCODE -ne 0) { throw "psql failed ($LASTEXITCODE) on '$Sql': $out" }
    $out
}

function Remove-Database([string]$Name) {
    Invoke-Psql -Sql "drop database if exists `"$Name`" with (force)" | Out-Null
}

function Get-PgUrl([string]$Database) {
    'postgresql://{0}:{1}@{2}:{3}/{4}' -f [uri]::EscapeDataString($script:PgUser), [uri]::EscapeDataString($script:PgPassword),
        $script:PgHost, $script:PgPort, $Database
}

function Remove-S3Prefix([string]$Prefix, [string]$Server = 'RGW') {
    if (-not $script:Aws -or -not $script:S3Servers.Contains($Server)) { return }
    $saved = @{}
    $envVars = Get-S3Environment $Server
    foreach ($k in $envVars.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $envVars[$k]) }
    try { $null = & $script:Aws s3 rm "s3://$Bucket/$Prefix" --recursive --endpoint-url $script:S3Servers[$Server].Endpoint --only-show-errors 2>&1 }
    finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
}

# ------------------------------------------------------------------------------------------------ the module
function Publish-ModuleFallback([string[]]$Pwsh) {
    $publish = Join-Path $WorkDir 'publish'
    & dotnet publish (Join-Path (Join-Path (Join-Path $RepoRoot 'src') 'ClutterDR') 'ClutterDR.csproj') -c Release -o $publish --nologo 2>&1 |
        ForEach-Object { [Console]::Error.WriteLine("  $_") }
    if ($LASTEXITCODE -ne 0) { throw "dotnet publish failed ($LASTEXITCODE)" }
    $dir = Join-Path (Join-Path $WorkDir 'publish-layout') 'ClutterDR'
    $null = New-Item -ItemType Directory -Path $dir -Force
    Get-ChildItem -LiteralPath $publish -Filter '*.dll' | Where-Object Name -ne 'System.Management.Automation.dll' |
        Copy-Item -Destination $dir
    Copy-Item -LiteralPath (Join-Path $RepoRoot 'ClutterDR.psd1') -Destination $dir
    Copy-Item -LiteralPath (Join-Path (Join-Path (Join-Path $RepoRoot 'src') 'ClutterDR') 'ClutterDR.Format.ps1xml') -Destination $dir
    return $dir
}

function Get-BenchModule([string[]]$Pwsh) {
    $source = $null
    if ($ModulePath) {
        $source = if ($ModulePath -like '*.psd1') { Split-Path -Parent $ModulePath } else { $ModulePath }
    } elseif ($SkipBuild) {
        $source = Join-Path (Join-Path $RepoRoot 'out') 'ClutterDR'
    } else {
        $rc = Invoke-ModuleBuild $Pwsh
        $source = Join-Path (Join-Path $RepoRoot 'out') 'ClutterDR'
        if ($rc -ne 0 -or -not (Test-Path -LiteralPath (Join-Path $source 'ClutterDR.psd1'))) {
            Write-Status "build.ps1 failed (exit $rc): falling back to dotnet publish"
            $source = Publish-ModuleFallback $Pwsh
            $script:BuildNote = "build.ps1 failed (exit $rc); module from dotnet publish"
        }
    }
    if (-not (Test-Path -LiteralPath (Join-Path $source 'ClutterDR.psd1') -PathType Leaf)) { throw "No ClutterDR.psd1 in '$source'." }
    # A private copy: others may rebuild out/ while the benchmark runs.
    $dest = Join-Path (Join-Path $WorkDir 'module') 'ClutterDR'
    $null = New-Item -ItemType Directory -Path $dest -Force
    Copy-Item -Path (Join-Path $source '*') -Destination $dest -Recurse -Force
    return (Join-Path $dest 'ClutterDR.psd1')
}

# pg_dump / pg_restore as the module starts them, under GNU time, appending '<name> <wall> <peak KB>' to a log.
function New-PgWrapperBin([string]$RealBin) {
    $dir = Join-Path $WorkDir 'pgbin'
    $null = New-Item -ItemType Directory -Path $dir -Force
    foreach ($tool in 'pg_dump', 'pg_restore') {
        $path = Join-Path $dir $tool
        $text = "#!/bin/sh`nexec /usr/bin/time -a -o `"`${CLUTTERDR_BENCH_TOOL_LOG:-/dev/null}`" -f '$tool %e %M' $(ConvertTo-ShArg (Join-Path $RealBin $tool)) `"`$@`"`n"
        [IO.File]::WriteAllText($path, $text)
        & chmod 0755 $path
    }
    foreach ($tool in 'psql') {
        $null = New-Item -ItemType SymbolicLink -Path (Join-Path $dir $tool) -Target (Join-Path $RealBin $tool) -Force
    }
    return $dir
}

# The last line of the wrapper log (the real run; earlier lines are `--version` probes).
function Read-ToolLog([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return $null }
    $last = Get-Content -LiteralPath $Path | Where-Object { $_ -match '^\S+ [\d.]+ \d+$' } | Select-Object -Last 1
    if (-not $last) { return $null }
    $f = $last -split ' '
    [pscustomobject]@{ Tool = $f[0]; Seconds = [double]::Parse($f[1], [Globalization.CultureInfo]::InvariantCulture); PeakMB = [long]$f[2] / 1024.0 }
}

function Invoke-ChildBackup {
    # -S3: the S3 server ('RGW' | 's3rver') of an s3:// destination; '' for a folder.
    param([string]$Database, [string]$Destination, [string]$Compression = 'Zstd', [int]$Level = 0, [string]$S3 = '', [string]$Recipient = '')
    $result = Join-Path $WorkDir "result-$([guid]::NewGuid().ToString('N').Substring(0, 8)).json"
    $toolLog = Join-Path $WorkDir "tools-$([guid]::NewGuid().ToString('N').Substring(0, 8)).log"
    $cmd = $script:PwshCmd + @('-NoProfile', '-NonInteractive', '-File', $script:ChildBackupPath,
        '-Module', $script:ModuleManifest, '-ConnectionString', (Get-PgUrl $Database), '-Destination', $Destination,
        '-EndpointUrl', $(if ($S3) { $script:S3Servers[$S3].Endpoint } else { '' }), '-Compression', $Compression, '-Level', "$Level", '-ResultPath', $result, '-Recipient', $Recipient)
    $envVars = @{ CLUTTERDR_PG_BIN = $script:WrapperBin; CLUTTERDR_BENCH_TOOL_LOG = $toolLog }
    if ($S3) { $envVars += Get-S3Environment $S3 }
    $t = Invoke-Timed -Command $cmd -Environment $envVars -S3 $S3
    $r = Get-Content -LiteralPath $result -Raw | ConvertFrom-Json
    $tool = Read-ToolLog $toolLog
    Remove-Item -LiteralPath $result, $toolLog -Force -ErrorAction SilentlyContinue
    [pscustomobject]@{ Timed = $t; Result = $r; Tool = $tool }
}

function Invoke-ChildRestore {
    param([string]$Location, [string]$Target, [string]$S3 = 'RGW')
    $result = Join-Path $WorkDir "result-$([guid]::NewGuid().ToString('N').Substring(0, 8)).json"
    $toolLog = Join-Path $WorkDir "tools-$([guid]::NewGuid().ToString('N').Substring(0, 8)).log"
    $cmd = $script:PwshCmd + @('-NoProfile', '-NonInteractive', '-File', $script:ChildRestorePath,
        '-Module', $script:ModuleManifest, '-Location', $Location, '-TargetConnectionString', (Get-PgUrl $Target),
        '-EndpointUrl', $script:S3Servers[$S3].Endpoint, '-ResultPath', $result)
    $envVars = @{ CLUTTERDR_PG_BIN = $script:WrapperBin; CLUTTERDR_BENCH_TOOL_LOG = $toolLog } + (Get-S3Environment $S3)
    $t = Invoke-Timed -Command $cmd -Environment $envVars -S3 $S3
    $r = Get-Content -LiteralPath $result -Raw | ConvertFrom-Json
    $tool = Read-ToolLog $toolLog
    Remove-Item -LiteralPath $result, $toolLog -Force -ErrorAction SilentlyContinue
    [pscustomobject]@{ Timed = $t; Result = $r; Tool = $tool }
}

# ------------------------------------------------------------------------------------------------ results
# One row per measured step and run: Scale, Run, Key, Group (backup|restore|other), Seconds, PeakMB, CpuSec,
# ServerCpuSec (PostgreSQL + the step's S3 server), S3CpuSec (the S3 server alone), OtherCpuSec, CmdletSeconds (pwsh steps), ToolPeakMB (pg_dump/pg_restore under the module), Bytes, Note.
$Rows = [Collections.Generic.List[object]]::new()
$StepInfo = [ordered]@{}   # key -> label, group, order, note
function Register-Step([string]$Key, [string]$Label, [string]$Group, [string]$Note = '') {
    if (-not $StepInfo.Contains($Key)) { $StepInfo[$Key] = [pscustomobject]@{ Label = $Label; Group = $Group; Order = $StepInfo.Count; Note = $Note } }
}
function Add-Row {
    param([int]$ScaleValue, [int]$Run, [string]$Key, $Timed, [double]$CmdletSeconds = [double]::NaN,
        [double]$ToolPeakMB = [double]::NaN, [double]$PwshPeakMB = [double]::NaN, [long]$Bytes = -1)
    $Rows.Add([pscustomobject]@{
        Scale = $ScaleValue; Run = $Run; Key = $Key; Seconds = $Timed.Seconds; PeakMB = $Timed.PeakMB; CpuSec = $Timed.CpuSec
        ServerCpuSec = $Timed.ServerCpuSec; S3CpuSec = $Timed.S3CpuSec; OtherCpuSec = $Timed.OtherCpuSec
        CmdletSeconds = $CmdletSeconds; ToolPeakMB = $ToolPeakMB; PwshPeakMB = $PwshPeakMB; Bytes = $Bytes
    })
    $extra = if (-not [double]::IsNaN($CmdletSeconds)) { (', cmdlet {0:N2} s' -f $CmdletSeconds) } else { '' }
    Write-Status ('  {0,-44} {1,7:N2} s {2,7:N1} MB  cpu {3,6:N2} s  server {4,6:N2} s  other {5,5:N2} s{6}' -f $StepInfo[$Key].Label, $Timed.Seconds, $Timed.PeakMB,
        $Timed.CpuSec, $Timed.ServerCpuSec, $Timed.OtherCpuSec, $extra)
}
function Add-SumRow([int]$ScaleValue, [int]$Run, [string]$Key, [object[]]$Parts, [long]$Bytes = -1) {
    $sum = [pscustomobject]@{
        Seconds = ($Parts | Measure-Object Seconds -Sum).Sum
        PeakMB  = ($Parts | Measure-Object PeakMB -Maximum).Maximum
        CpuSec  = ($Parts | Measure-Object CpuSec -Sum).Sum
        ServerCpuSec = ($Parts | Measure-Object ServerCpuSec -Sum).Sum
        S3CpuSec = ($Parts | Measure-Object S3CpuSec -Sum).Sum
        OtherCpuSec = ($Parts | Measure-Object OtherCpuSec -Sum).Sum
    }
    Add-Row -ScaleValue $ScaleValue -Run $Run -Key $Key -Timed $sum -Bytes $Bytes
}

Register-Step 'baseline' 'pwsh baseline (Import-Module only)' 'other' 'pwsh -NoProfile -c Import-Module: the share of RSS that is PowerShell itself'
Register-Step 'producer' 'producer limit: pg_dump -Fc -Z0 > /dev/null' 'backup' 'the floor: pg_dump alone, nothing done with its output'
Register-Step 'runbook' 'seed runbook (total)' 'backup' 'sum of the three steps below; peak = largest of them'
Register-Step 'runbook.dump' '  pg_dump -Fc -f file' 'backup'
Register-Step 'runbook.gzip' '  gzip -k file' 'backup' '-k keeps the .dump for the pg_restore step'
Register-Step 'runbook.aws' '  aws s3 cp file.gz -> RGW (awscli)' 'backup'
Register-Step 'runbook.aws.s3rver' '  aws s3 cp file.gz -> s3rver (awscli)' 'backup' 'the same upload to s3rver; not in the runbook''s total'
Register-Step 'backup' 'Backup-ClutterDatabase -> RGW (Zstd)' 'backup' 'fresh pwsh; seconds = whole process, ratio uses the cmdlet call alone'
Register-Step 'backup.enc' 'Backup-ClutterDatabase -> RGW (Zstd, -Recipient)' 'backup' 'the same, encrypted to an RSA-3072 OpenPGP key made by gpg'
Register-Step 'backup.s3rver' 'Backup-ClutterDatabase -> s3rver (Zstd)' 'backup' 'the same as the RGW row, to s3rver'
Register-Step 'backup.copies' 'Backup-ClutterDatabase -> RGW + folder (two copies)' 'backup' 'one dump, the same stored bytes to RGW and to a local folder: the cost of the second copy is this row against the RGW row'
if ($Diagnose) {
    Register-Step 'diag.catpipe' 'diag: pg_dump -Z0 | cat > /dev/null' 'backup' 'the cost of reading pg_dump through a pipe at all'
    Register-Step 'diag.zstdpipe' 'diag: pg_dump -Z0 | zstd -3 > /dev/null' 'backup' 'native compression of the same stream'
    Register-Step 'diag.awspipe' 'diag: pg_dump -Z0 | zstd -3 | aws s3 cp -' 'backup' 'native streaming pipeline to the same S3 server (RGW)'
    Register-Step 'diag.awspipe1' 'diag: pg_dump -Z0 | zstd -1 | aws s3 cp -' 'backup' 'the same at zstd level 1'
    Register-Step 'diag.zstd1.s3' 'diag: Backup -CompressionLevel 1 -> RGW' 'backup'
    Register-Step 'diag.none.s3' 'diag: Backup -Compression None -> RGW' 'backup'
    Register-Step 'diag.zstd.folder' 'diag: Backup (Zstd) -> folder' 'backup'
    Register-Step 'diag.none.folder' 'diag: Backup -Compression None -> folder' 'backup'
    Register-Step 'diag.counts' 'diag: count(*) of every table (psql)' 'backup' 'the row counts Backup-ClutterDatabase runs beside pg_dump, alone'
}
Register-Step 'pgrestore' 'pg_restore -d newdb file' 'restore' 'the runbook''s custom-format file (zlib); database created beforehand'
if ($Diagnose) { Register-Step 'diag.pgrestore.1tx' 'diag: pg_restore --single-transaction' 'restore' 'same file, --single-transaction --exit-on-error as the module runs it' }
Register-Step 'restore' 'Restore-ClutterDatabase <- RGW' 'restore' 'fresh pwsh, -CreateDatabase, includes row-count verification; ratio uses the cmdlet call alone'
Register-Step 'restore.s3rver' 'Restore-ClutterDatabase <- s3rver' 'restore' 'the same as the RGW row, from the s3rver backup'
