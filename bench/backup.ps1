<#
.SYNOPSIS
    Benchmarks Backup-ClutterDatabase / Restore-ClutterDatabase against pg_dump, the seed runbook and pg_restore.

.DESCRIPTION
    For each scale, loads tests/Fixtures/clutter-schema.sql into a fresh database (VACUUM FREEZE ANALYZE, so
    no step pays for hint bits another did not) and measures, in the same run and on that same database:

      producer limit      pg_dump -Fc -Z0 <db> > /dev/null
      seed runbook        pg_dump -Fc -f file; gzip -k file; /usr/bin/aws s3 cp file.gz s3://bucket/... (sum of the 3)
      Backup-Clutter...   Backup-ClutterDatabase -> s3://bucket/... (Ceph RGW, the real S3 server), in a fresh pwsh
      pg_restore          pg_restore -d <new db> <runbook's custom-format file> (database created beforehand, untimed)
      Restore-Clutter...  Restore-ClutterDatabase from that S3 backup -CreateDatabase, in a fresh pwsh
      pwsh baseline       pwsh -NoProfile -c 'Import-Module ClutterDR' (the RSS that is PowerShell, not the backup)

    The test services run two S3 servers: Ceph RGW (CLUTTERDR_TEST_S3_*; radosgw, ceph-osd, ceph-mon) and s3rver
    (CLUTTERDR_TEST_S3RVER_*; node). The rows above use RGW; the runbook's `aws s3 cp`, Backup-ClutterDatabase and
    Restore-ClutterDatabase are also run against s3rver in the same run, side by side, so that each server's
    overhead is known: the report gives each against the baselines and RGW/s3rver. Without s3rver those rows are left out.

    Every step runs under GNU time (`/usr/bin/time -f '%e %M %U %S'`): wall seconds, peak RSS and CPU seconds.
    GNU time's peak RSS is that of the largest single process of the tree (not a sum): for the pwsh steps that
    is pwsh itself. pg_dump / pg_restore started by the module run through a wrapper (CLUTTERDR_PG_BIN) that puts
    them under GNU time too, so their own peak is reported separately. Inside the pwsh steps the cmdlet call is
    also timed alone (without pwsh start-up and Import-Module): the backup/restore targets use that time.

    With -Diagnose, extra rows show where the backup's time goes: the same cmdlet with -CompressionLevel 1,
    -Compression None and/or to a folder; the native pipelines pg_dump | cat, pg_dump | zstd -3 (to /dev/null) and
    pg_dump | zstd -3 / -1 | aws s3 cp - (to RGW, as the backup rows); the row counts Backup-ClutterDatabase runs beside
    pg_dump; and pg_restore --single-transaction (as the module runs it).

    Each row also shows the CPU the PostgreSQL server and the S3 server the step talks to used during the step, and
    the CPU anything else on the machine used ("other": noise; the idle S3 server is counted in neither). Before
    each step the script waits for the machine to go quiet.
    An interrupted run leaves its scratch folder and clutterdr_bench_* databases; the next run drops the latter.

    Services: tests/TestServices/Start-TestServices.ps1 reuses PostgreSQL / RGW / s3rver that CLUTTERDR_TEST_* already
    point at (and then this script does not stop them); otherwise it starts them, and this script stops what it started.
    Everything this script creates (databases, S3 objects, files under -WorkDir) is removed at the end.

    Writes the markdown report to bench/results/backup-<date>.md and to stdout.

.PARAMETER Scale
    Fixture scales to run (scale 1 ~ 52 MB, scale 10 ~ 454 MB). Several scales (e.g. -Scale 1,10) also check
    that Backup-ClutterDatabase's peak memory does not grow with the database.

.PARAMETER Runs
    Repetitions of every step at each scale. The table shows the median seconds and the highest peak RSS.

.PARAMETER SkipBuild
    Use the module already laid out in out/ClutterDR (or -ModulePath) instead of building it.

.PARAMETER ModulePath
    A ClutterDR module folder (or its .psd1) to benchmark instead of out/ClutterDR. Implies -SkipBuild.

.PARAMETER Diagnose
    Add the diagnostic rows described above.

.PARAMETER WorkDir
    Scratch folder (dump files, service data when started here). Default: a new folder under /tmp.

.PARAMETER QuietTimeout
    Before each step, wait up to this many seconds until the machine is near idle (other processes use < 0.2
    cores). 0: do not wait. Steps measured while other processes used CPU show it in the "other CPU s" column.

.PARAMETER KeepWork
    Leave the scratch folder (not the databases or services) behind for inspection.

.EXAMPLE
    dotnet pwsh ./bench/backup.ps1 -Scale 1,10 -Runs 1 -Diagnose
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    # [string[]]: `dotnet pwsh ./bench/backup.ps1 -Scale 1,10` passes "1,10" as one string.
    [string[]]$Scale = @('10'),
    [ValidateRange(1, 50)]
    [int]$Runs = 1,
    [switch]$SkipBuild,
    [string]$ModulePath,
    [switch]$Diagnose,
    [string]$WorkDir,
    [switch]$KeepWork,
    [ValidateRange(0, 86400)]
    [int]$QuietTimeout = 600
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

if (-not $IsLinux) { throw 'bench/backup.ps1 measures with GNU time and /proc: it runs on Linux only.' }
if (-not (Test-Path -LiteralPath '/usr/bin/time' -PathType Leaf)) { throw 'GNU time (/usr/bin/time) is missing: apt-get install time.' }

$RepoRoot = Split-Path -Parent $PSScriptRoot
$ResultsDir = Join-Path $PSScriptRoot 'results'
$Fixture = Join-Path (Join-Path (Join-Path $RepoRoot 'tests') 'Fixtures') 'clutter-schema.sql'
$TestServicesDir = Join-Path (Join-Path $RepoRoot 'tests') 'TestServices'
$Scale = @(foreach ($item in $Scale) {
        foreach ($part in ($item -split '[,\s]+' | Where-Object { $_ })) {
            $n = 0
            if (-not [int]::TryParse($part, [ref]$n) -or $n -lt 1 -or $n -gt 1000) { throw "-Scale: '$part' is not a whole number from 1 to 1000." }
            $n
        }
    }) | Sort-Object -Unique
$Scale = [int[]]@($Scale)
$RunId = 'bench-' + (Get-Date -Format 'yyyyMMdd-HHmmss') + '-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
$Bucket = 'clutterdr-bench'
if (-not $WorkDir) { $WorkDir = Join-Path ([IO.Path]::GetTempPath()) "clutterdr-$RunId" }
$WorkDir = [IO.Path]::GetFullPath($WorkDir)

. (Join-Path $PSScriptRoot '_BenchCommon.ps1')   # the shared harness: Write-Status, Invoke-Timed, Wait-Quiet, Get-Median, the services and S3 servers, ...
. (Join-Path (Join-Path $PSScriptRoot 'backup') '_BackupSteps.ps1')   # Invoke-Psql, Get-BenchModule, Invoke-ChildBackup/Restore, Register-Step, Add-Row, ...
. (Join-Path (Join-Path $PSScriptRoot 'backup') 'Measure-BackupRun.ps1')
. (Join-Path (Join-Path $PSScriptRoot 'backup') 'Write-BackupReport.ps1')

# ------------------------------------------------------------------------------------------------ machine noise
# The machine may be shared (2 cores here): CPU used during a step by processes that are not the step's own tree,
# not the servers and not this script is reported as "other CPU s"; before each step the script waits (up to
# -QuietTimeout seconds) until the whole machine is near idle. "Server CPU s" is PostgreSQL plus the S3 server the
# step talks to (none for steps without S3); the other S3 server idles meanwhile and is counted in neither.

# ------------------------------------------------------------------------------------------------ main
$savedEnv = Save-BenchEnvironment

$null = New-Item -ItemType Directory -Path $WorkDir -Force
$StatePath = Join-Path (Join-Path $WorkDir 'services') 'state.json'
$services = $null
$databases = [Collections.Generic.List[string]]::new()
$script:Aws = $null
$script:BuildNote = ''
$script:DbInfo = @()
$script:RawBytes = @{}
$awsNote = ''
$report = $null
$started = Get-Date
try {
    $commitInfo = Get-CommitInfo; $commit = $commitInfo.Commit; $dirty = $commitInfo.Dirty
    $script:PwshCmd = Get-PwshCommand
    $script:ModuleManifest = Get-BenchModule $script:PwshCmd
    Write-Status "module: $script:ModuleManifest"

    # awscli for the runbook (the Debian package; another `aws` may come first on PATH).
    $script:Aws = Install-AptTool 'awscli' '/usr/bin/aws'
    if (-not $script:Aws) { $awsNote = 'awscli (/usr/bin/aws) is not installed and could not be installed: the runbook''s upload step and the aws pipeline are unavailable.' }

    $services = Start-BenchServices $StatePath
    $script:PgHost = $env:CLUTTERDR_TEST_PG_HOST
    $script:PgPort = $env:CLUTTERDR_TEST_PG_PORT
    $script:PgUser = if ($env:CLUTTERDR_TEST_PG_USER) { $env:CLUTTERDR_TEST_PG_USER } else { 'postgres' }
    $script:PgPassword = $env:CLUTTERDR_TEST_PG_PASSWORD
    $script:PgBinReal = $env:CLUTTERDR_PG_BIN
    $script:S3Endpoint = $env:CLUTTERDR_TEST_S3_ENDPOINT
    Register-S3Servers
    $script:Psql = Join-Path $script:PgBinReal 'psql'
    $PgDump = Join-Path $script:PgBinReal 'pg_dump'
    $PgRestore = Join-Path $script:PgBinReal 'pg_restore'
    $script:WrapperBin = New-PgWrapperBin $script:PgBinReal

    # The servers' processes, so that their CPU is told apart from other processes' (see Wait-Quiet).
    try {
        $env:PGPASSWORD = $script:PgPassword
        $ckpt = [int](Invoke-Psql -Sql "select pid from pg_stat_activity where backend_type = 'checkpointer'")
        $st = [IO.File]::ReadAllText("/proc/$ckpt/stat")
        $script:ServerGroups['Postgres'] = @([int](($st.Substring($st.LastIndexOf(')') + 2) -split ' ')[1]))
    } catch { Write-Warning "Cannot find the postmaster's process (its CPU will count as 'other'): $_" }
    Find-S3ServerProcesses
    $script:ServicePids = @($script:ServerGroups.Values | ForEach-Object { $_ })
    $script:ChildBackupPath = Join-Path (Join-Path $PSScriptRoot 'backup') 'Child-Backup.ps1'
    $script:ChildRestorePath = Join-Path (Join-Path $PSScriptRoot 'backup') 'Child-Restore.ps1'

    # Credentials as in production: the AWS default chain from the environment. awscli: path-style, no v2 checksums.
    $env:PGPASSWORD = $script:PgPassword
    Set-AwsEnvironment

    # The bucket on each S3 server (a signed request: RGW refuses unsigned ones; 409 = it exists already).
    foreach ($name in $script:S3Servers.Keys) {
        $s = $script:S3Servers[$name]
        $resp = Invoke-SignedS3Request -Method Put -Path "/$Bucket" -Endpoint $s.Endpoint -AccessKey $s.AccessKey -SecretKey $s.SecretKey -SkipHttpErrorCheck
        if ([int]$resp.StatusCode -ge 300 -and [int]$resp.StatusCode -ne 409) { throw "Creating bucket $Bucket on $name ($($s.Endpoint)) failed: HTTP $($resp.StatusCode) $($resp.Content)" }
    }

    # An OpenPGP public key for the encrypted backup step, made by gpg in a private home.
    $script:RecipientKey = $null
    if (Get-Command gpg -CommandType Application -ErrorAction SilentlyContinue) {
        $gpgHome = Join-Path $WorkDir 'gnupg'
        $null = New-Item -ItemType Directory -Path $gpgHome -Force
        & chmod 700 $gpgHome
        $batch = Join-Path $gpgHome 'key.batch'
        Set-Content -LiteralPath $batch -Value "%no-protection`nKey-Type: RSA`nKey-Length: 3072`nSubkey-Type: RSA`nSubkey-Length: 3072`nName-Real: Bench`nName-Email: bench@example.com`nExpire-Date: 0`n%commit"
        & gpg --homedir $gpgHome --batch --quiet --gen-key $batch 2>&1 | Out-Null
        $script:RecipientKey = Join-Path $WorkDir 'bench.pub.asc'
        & gpg --homedir $gpgHome --batch --quiet --armor --output $script:RecipientKey --export bench@example.com 2>&1 | Out-Null
        & gpgconf --homedir $gpgHome --kill gpg-agent 2>&1 | Out-Null
        if (-not (Test-Path -LiteralPath $script:RecipientKey)) { Write-Warning 'gpg could not make a key: the encrypted backup step is skipped.'; $script:RecipientKey = $null }
    } else { Write-Warning 'gpg is not installed: the encrypted backup step is skipped.' }

    # The pwsh baseline and version facts.
    $pgVersion = (& $PgDump --version) -join ' '
    $awsVersion = if ($script:Aws) { ((& $script:Aws --version 2>&1) -join ' ') -replace ' Python.*', '' } else { 'n/a' }
    $zstdAvailable = [bool](Get-Command zstd -CommandType Application -ErrorAction SilentlyContinue)
    $versions = Get-S3ServerVersions

    foreach ($sc in $Scale) {
        $db = "clutterdr_bench_s$sc"
        Write-Status "scale $sc`: loading the fixture into $db"
        Remove-Database $db
        Invoke-Psql -Sql "create database $db" | Out-Null
        $databases.Add($db)
        $load = Invoke-Timed -Command @($script:Psql, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', "scale=$sc", '-h', $script:PgHost, '-p', $script:PgPort,
            '-U', $script:PgUser, '-d', $db, '-f', $Fixture)
        Invoke-Psql -Database $db -Sql 'vacuum (freeze, analyze)' | Out-Null
        $dbBytes = [long](Invoke-Psql -Database $db -Sql "select pg_database_size('$db')")
        $tables = @(Invoke-Psql -Database $db -Sql "select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'")
        $script:DbInfo += @([pscustomobject]@{ Scale = $sc; Bytes = $dbBytes; LoadSeconds = $load.Seconds })
        Write-Status ('  {0:N0} MB loaded in {1:N1} s' -f ($dbBytes / 1MB), $load.Seconds)
        # One untimed dump so that every timed step finds the same warm cache.
        $null = Invoke-Timed -Command @($PgDump, '-Fc', '-Z0', '-h', $script:PgHost, '-p', $script:PgPort, '-U', $script:PgUser, $db)

        for ($run = 1; $run -le $Runs; $run++) {
            Measure-BackupRun $sc $run $db $tables
        }
        Remove-Database $db
    }

    $report = Write-BackupReport -PgVersion $pgVersion -AwsVersion $awsVersion -AwsNote $awsNote -RgwVersion $versions.RGW -S3rverVersion $versions.S3rver `
        -Commit $commit -Dirty $dirty -Started $started
    $report
}
catch {
    Write-Status "failed: $_`n$($_.ScriptStackTrace)"
    throw
}
finally {
    try {
        if ($env:CLUTTERDR_TEST_PG_PORT -and $script:Psql) {
            foreach ($d in $databases | Select-Object -Unique) { try { Remove-Database $d } catch { Write-Warning "could not drop $d`: $_" } }
        }
        if ($script:Aws) { foreach ($name in @($script:S3Servers.Keys)) { Remove-S3Prefix "$RunId/" -Server $name } }
    } catch { Write-Warning "cleanup: $_" }
    if ($services -and @($services.Started).Count -gt 0) {
        Write-Status "stopping the services this run started ($($services.Started -join ', '))"
        try { & (Join-Path $TestServicesDir 'Stop-TestServices.ps1') -StatePath $StatePath -Only $services.Started 6>&1 | ForEach-Object { Write-Status "  $_" } }
        catch { Write-Warning "Stop-TestServices failed: $_" }
    }
    foreach ($k in $savedEnv.Keys) { [Environment]::SetEnvironmentVariable($k, $savedEnv[$k]) }
    if (-not $KeepWork) { Remove-Item -LiteralPath $WorkDir -Recurse -Force -ErrorAction SilentlyContinue }
    else { Write-Status "scratch folder kept: $WorkDir" }
}
