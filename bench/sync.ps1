<#
.SYNOPSIS
    Benchmarks Sync-ClutterStorage (folder -> S3) against `aws s3 sync` and `rclone sync`, side by side on the same S3 server.

.DESCRIPTION
    Creates a tree of -Files small files (1 to 256 KiB, sizes from a fixed seed) plus -LargeFiles files of
    -LargeSizeMiB MiB, then for each tool, into its own empty bucket on the same S3 test server (Ceph RGW, the
    real S3 server of tests/TestServices):

      first run       the whole tree is uploaded
      no-change run   the same command again: nothing to transfer, only listing and comparing

    Tools:
      Sync-ClutterStorage   fresh `pwsh -NoProfile`, Import-Module, one call (default -ThrottleLimit 8)
      aws s3 sync           /usr/bin/aws (Debian awscli; installed with apt-get when missing and running as root)
      rclone sync           rclone (Debian rclone; installed likewise), run with AWS_CA_BUNDLE unset

    The test services run a second S3 server, s3rver (an S3 fake on node, CLUTTERDR_TEST_S3RVER_*): every tool runs
    against it too, in the same run, and the report puts each tool's RGW and s3rver seconds side by side, so that
    each server's overhead is known (-SkipS3rver, or no s3rver, leaves those rows out). Ratios and targets compare
    tools on the same server only. Buckets are made and listed with signed requests (Invoke-SignedS3Request).

    Each step runs under GNU time (`/usr/bin/time -f '%e %M %U %S'`): wall seconds, peak RSS (largest process),
    CPU seconds. For Sync-ClutterStorage the cmdlet call alone is timed too (no pwsh start-up, no Import-Module).
    Ratios: each tool's seconds divided by the faster of aws and rclone for the same step. Targets (issue 4):
    first run <= 0.8x, no-change run <= 0.5x, judged on the cmdlet call; the whole-process ratio is shown beside it.
    "Server CPU s" is the CPU the S3 server the step talks to used during the step (RGW: radosgw + ceph-osd +
    ceph-mon; s3rver: node); "other CPU s" the CPU anything else on the machine used meanwhile (noise; the idle
    S3 server is counted in neither).

    Before each step the script waits (up to -QuietTimeout s) for the machine to go quiet. Services: reused when
    CLUTTERDR_TEST_* point at running ones, else started here and stopped at the end. Buckets and the tree are
    removed at the end (-KeepWork keeps the tree). Writes bench/results/sync-<date>.md and prints it.

    With -Runs N every tool runs N times (first + no-change each time, a new bucket each time), the order of the
    tools rotating from run to run so that no tool always meets the same machine noise; the table shows the
    median seconds and the highest peak RSS.

.PARAMETER SkipS3rver
    Run against Ceph RGW only (halves the bench time): no s3rver rows.

.EXAMPLE
    dotnet pwsh ./bench/sync.ps1 -Runs 3
.EXAMPLE
    dotnet pwsh ./bench/sync.ps1 -Files 500 -LargeFiles 2 -SkipBuild     # a quick look
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    [ValidateRange(1, 1000000)] [int]$Files = 5000,
    [ValidateRange(0, 10000)] [int]$LargeFiles = 20,
    [ValidateRange(1, 4096)] [int]$LargeSizeMiB = 10,
    [switch]$SkipBuild,
    [string]$ModulePath,
    [string]$WorkDir,
    [switch]$KeepWork,
    [ValidateRange(0, 3600)] [int]$QuietTimeout = 120,
    [ValidateRange(1, 256)] [int]$ThrottleLimit = 8,
    [ValidateRange(1, 20)] [int]$Runs = 1,
    [switch]$SkipS3rver
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

if (-not $IsLinux) { throw 'bench/sync.ps1 measures with GNU time and /proc: it runs on Linux only.' }
if (-not (Test-Path -LiteralPath '/usr/bin/time' -PathType Leaf)) { throw 'GNU time (/usr/bin/time) is missing: apt-get install time.' }

$RepoRoot = Split-Path -Parent $PSScriptRoot
$ResultsDir = Join-Path $PSScriptRoot 'results'
$TestServicesDir = Join-Path (Join-Path $RepoRoot 'tests') 'TestServices'
$RunId = 'sync-' + (Get-Date -Format 'yyyyMMdd-HHmmss') + '-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
if (-not $WorkDir) { $WorkDir = Join-Path ([IO.Path]::GetTempPath()) "clutterdr-bench-$RunId" }
$WorkDir = [IO.Path]::GetFullPath($WorkDir)
$inv = [Globalization.CultureInfo]::InvariantCulture

. (Join-Path $PSScriptRoot '_BenchCommon.ps1')   # Write-Status, ConvertTo-ShArg, Get-PwshCommand, Get-MachineBusySeconds, Get-ServerCpuByGroup, Get-SelfCpuSeconds, Invoke-SignedS3Request, Get-S3ServerProcessIds

$script:S3Servers = [ordered]@{}     # 'RGW' [, 's3rver'] -> Endpoint, AccessKey, SecretKey
$script:ServerGroups = [ordered]@{}  # the same names -> process ids (RGW: radosgw, ceph-osd, ceph-mon; s3rver: node)

function Wait-Quiet {
    if ($QuietTimeout -le 0) { return }
    $deadline = [DateTime]::UtcNow.AddSeconds($QuietTimeout)
    while ($true) {
        $b0 = Get-MachineBusySeconds; $s0 = Get-SelfCpuSeconds
        Start-Sleep -Milliseconds 1000
        $busy = (Get-MachineBusySeconds) - $b0 - ((Get-SelfCpuSeconds) - $s0)
        if ($busy -lt 0.3) { return }
        if ([DateTime]::UtcNow -gt $deadline) { Write-Status ('  machine still busy ({0:N2} cores): measuring anyway' -f $busy); $script:NoisySteps++; return }
        Start-Sleep -Seconds 2
    }
}

# One command under GNU time: wall seconds, peak RSS MB (largest process of the tree), CPU seconds; the CPU of the
# S3 server -S3 ('RGW' | 's3rver') and of anything else on the machine during it.
function Invoke-Timed([string[]]$Command, [hashtable]$Environment = @{}, [string[]]$Unset = @(), [string]$S3 = '') {
    $id = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $timeFile = Join-Path $WorkDir "time-$id.txt"
    $errFile = Join-Path $WorkDir "stderr-$id.txt"
    $prefix = ($Unset | ForEach-Object { "unset $_; " }) -join ''
    $line = "${prefix}exec /usr/bin/time -o $(ConvertTo-ShArg $timeFile) -f '%e %M %U %S' $(($Command | ForEach-Object { ConvertTo-ShArg $_ }) -join ' ') >/dev/null 2>$(ConvertTo-ShArg $errFile)"
    $saved = @{}
    foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, [string]$Environment[$k]) }
    try {
        Wait-Quiet
        $srv0 = Get-ServerCpuByGroup; $self0 = Get-SelfCpuSeconds; $busy0 = Get-MachineBusySeconds
        & /bin/sh -c $line
        $rc = $LASTEXITCODE
        $busy1 = Get-MachineBusySeconds; $self1 = Get-SelfCpuSeconds; $srv1 = Get-ServerCpuByGroup
    } finally {
        foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
    $stderr = if (Test-Path -LiteralPath $errFile) { Get-Content -LiteralPath $errFile -Raw } else { '' }
    $stats = Get-Content -LiteralPath $timeFile | Where-Object { $_ -match '^[\d.]+ \d+ [\d.]+ [\d.]+$' } | Select-Object -Last 1
    Remove-Item -LiteralPath $timeFile, $errFile -Force -ErrorAction SilentlyContinue
    if ($rc -ne 0) { throw "Failed (exit $rc): $($Command -join ' ')`n$stderr" }
    $f = $stats -split ' '
    $cpu = [double]::Parse($f[2], $inv) + [double]::Parse($f[3], $inv)
    $s3Cpu = 0.0; $idleCpu = 0.0
    foreach ($g in $srv1.Keys) { $d = $srv1[$g] - $srv0[$g]; if ($g -eq $S3) { $s3Cpu += $d } else { $idleCpu += $d } }
    [pscustomobject]@{
        Seconds = [double]::Parse($f[0], $inv)
        PeakMB  = [long]$f[1] / 1024.0
        CpuSec  = $cpu
        S3CpuSec = [math]::Max(0.0, $s3Cpu)
        OtherCpuSec = [math]::Max(0.0, ($busy1 - $busy0) - $cpu - $s3Cpu - $idleCpu - ($self1 - $self0))
        StdErr  = $stderr
    }
}

function Install-AptTool([string]$Package, [string]$Path) {
    if (Test-Path -LiteralPath $Path -PathType Leaf) { return $Path }
    if ((& id -u) -eq '0' -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Status "installing $Package (apt-get install -y $Package)"
        & apt-get install -y -q $Package 2>&1 | Out-Null
        if ($LASTEXITCODE -ne 0) { & apt-get update -q 2>&1 | Out-Null; & apt-get install -y -q $Package 2>&1 | Out-Null }
    }
    if (Test-Path -LiteralPath $Path -PathType Leaf) { return $Path }
    Write-Warning "$Package ($Path) is not installed and could not be installed: its rows are missing."
    $null
}

# The same tree every run: sizes from a fixed seed, content random.
function New-Tree([string]$Root) {
    $rng = [Random]::new(20261126)
    $pool = [byte[]]::new(4MB); $rng.NextBytes($pool)
    $total = 0L
    for ($i = 0; $i -lt $Files; $i++) {
        $dir = Join-Path $Root ('d{0:D2}' -f ($i % 50)) ('s{0:D2}' -f ([int][math]::Floor($i / 50) % 10))
        if ($i -lt 500) { $null = [IO.Directory]::CreateDirectory($dir) }
        $size = $rng.Next(1024, 256 * 1024 + 1)
        $offset = $rng.Next(0, $pool.Length - $size)
        $fs = [IO.File]::Create((Join-Path $dir ('file-{0:D5}.bin' -f $i)))
        try { $fs.Write($pool, $offset, $size); $fs.WriteByte([byte]($i % 256)) } finally { $fs.Dispose() }
        $total += $size + 1
    }
    $big = Join-Path $Root 'large'
    $null = [IO.Directory]::CreateDirectory($big)
    $chunk = [byte[]]::new(1MB)
    for ($i = 0; $i -lt $LargeFiles; $i++) {
        $fs = [IO.File]::Create((Join-Path $big ('video-{0:D2}.mp4' -f $i)))
        try { for ($m = 0; $m -lt $LargeSizeMiB; $m++) { $rng.NextBytes($chunk); $fs.Write($chunk, 0, $chunk.Length) } } finally { $fs.Dispose() }
        $total += [long]$LargeSizeMiB * 1MB
    }
    $total
}

$ChildSync = @'
param([string]$Module, [string]$Source, [string]$Destination, [string]$Endpoint, [int]$ThrottleLimit, [string]$TimeFile)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$sw = [Diagnostics.Stopwatch]::StartNew()
$r = Sync-ClutterStorage $Source $Destination -DestinationEndpointUrl $Endpoint -ThrottleLimit $ThrottleLimit
$sw.Stop()
if ($r.Failed) { throw "$($r.Failed) items failed" }
Set-Content -LiteralPath $TimeFile -Value ("{0} {1} {2}" -f $sw.Elapsed.TotalSeconds.ToString([cultureinfo]::InvariantCulture), ($r.Copied + $r.Updated), $r.Skipped)
'@

$savedEnv = @{}
foreach ($n in 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_REQUEST_CHECKSUM_CALCULATION', 'AWS_RESPONSE_CHECKSUM_VALIDATION', 'AWS_PAGER', 'AWS_PROFILE', 'CLUTTERDR_TEST_PG_HOST', 'CLUTTERDR_TEST_PG_PORT',
    'CLUTTERDR_TEST_PG_USER', 'CLUTTERDR_TEST_PG_PASSWORD', 'CLUTTERDR_TEST_PG_SOCKET', 'CLUTTERDR_TEST_PG_URL', 'CLUTTERDR_PG_BIN',
    'CLUTTERDR_TEST_S3_ENDPOINT', 'CLUTTERDR_TEST_S3_ACCESS_KEY', 'CLUTTERDR_TEST_S3_SECRET_KEY', 'CLUTTERDR_TEST_S3_REGION',
    'CLUTTERDR_TEST_S3_SERVER', 'CLUTTERDR_TEST_S3RVER_ENDPOINT', 'CLUTTERDR_TEST_S3RVER_ACCESS_KEY', 'CLUTTERDR_TEST_S3RVER_SECRET_KEY') {
    $savedEnv[$n] = [Environment]::GetEnvironmentVariable($n)
}
$null = New-Item -ItemType Directory -Path $WorkDir -Force
$StatePath = Join-Path (Join-Path $WorkDir 'services') 'state.json'
$services = $null
$buckets = [Collections.Generic.List[object]]::new()   # Server, Name
$rows = [Collections.Generic.List[object]]::new()
$script:NoisySteps = 0
$started = Get-Date
try {
    $commit = try { (& git -C $RepoRoot rev-parse --short HEAD 2>$null) } catch { '?' }
    $dirty = try { @(& git -C $RepoRoot status --porcelain -- src 2>$null).Count -gt 0 } catch { $false }
    $pwshCmd = Get-PwshCommand
    if ($ModulePath) { $module = $ModulePath }
    else {
        if (-not $SkipBuild) {
            Write-Status 'building the module (build.ps1 -Task Build)'
            $exe = $pwshCmd[0]; $argv = @($pwshCmd | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $RepoRoot 'build.ps1'), '-Task', 'Build')
            & $exe @argv 2>&1 | ForEach-Object { [Console]::Error.WriteLine("  $_") }
            if ($LASTEXITCODE -ne 0) { throw "build.ps1 -Task Build failed ($LASTEXITCODE)" }
        }
        $module = Join-Path (Join-Path (Join-Path $RepoRoot 'out') 'ClutterDR') 'ClutterDR.psd1'
    }
    $aws = Install-AptTool 'awscli' '/usr/bin/aws'
    $rclone = Install-AptTool 'rclone' '/usr/bin/rclone'

    Write-Status 'starting (or reusing) the test services'
    $services = & (Join-Path $TestServicesDir 'Start-TestServices.ps1') -StatePath $StatePath 6>&1 |
        ForEach-Object { if ($_ -is [Management.Automation.InformationRecord]) { Write-Status "  $_" } else { $_ } } |
        Where-Object { $_.PSObject.Properties['Started'] } | Select-Object -Last 1
    if (-not $services) { throw 'Start-TestServices.ps1 returned no result.' }
    if ($env:CLUTTERDR_TEST_S3_SERVER -and $env:CLUTTERDR_TEST_S3_SERVER -ne 'rgw') {
        throw "CLUTTERDR_TEST_S3_SERVER is '$($env:CLUTTERDR_TEST_S3_SERVER)': this benchmark expects Ceph RGW there (and s3rver in CLUTTERDR_TEST_S3RVER_*)."
    }
    $script:S3Servers['RGW'] = [pscustomobject]@{ Endpoint = $env:CLUTTERDR_TEST_S3_ENDPOINT; AccessKey = $env:CLUTTERDR_TEST_S3_ACCESS_KEY; SecretKey = $env:CLUTTERDR_TEST_S3_SECRET_KEY }
    if ($SkipS3rver) { Write-Status '-SkipS3rver: RGW only' }
    elseif ($env:CLUTTERDR_TEST_S3RVER_ENDPOINT) {
        $script:S3Servers['s3rver'] = [pscustomobject]@{ Endpoint = $env:CLUTTERDR_TEST_S3RVER_ENDPOINT
            AccessKey = $env:CLUTTERDR_TEST_S3RVER_ACCESS_KEY; SecretKey = $env:CLUTTERDR_TEST_S3RVER_SECRET_KEY }
    } else { Write-Warning 'CLUTTERDR_TEST_S3RVER_ENDPOINT is not set after Start-TestServices: the s3rver rows are left out.' }
    # The S3 servers' processes, so that their CPU is told apart from other processes'.
    try { $script:ClkTck = [double](& getconf CLK_TCK) } catch { $script:ClkTck = 100.0 }
    foreach ($name in $script:S3Servers.Keys) {
        try { $script:ServerGroups[$name] = Get-S3ServerProcessIds $script:S3Servers[$name].Endpoint }
        catch { Write-Warning "Cannot find the processes of $name (their CPU will count as 'other'): $_" }
    }
    Write-Status "server processes: $(($script:ServerGroups.Keys | ForEach-Object { "$_ $($script:ServerGroups[$_] -join '/')" }) -join ', ')"
    if ($script:ServerGroups.Contains('RGW') -and @($script:ServerGroups['RGW']).Count -lt 3) {
        Write-Warning "Found $(@($script:ServerGroups['RGW']).Count) of RGW's 3 processes (radosgw, ceph-osd, ceph-mon): the missing ones' CPU counts as 'other'."
    }
    $rgwVersion = try { ((& radosgw --version 2>&1) -join ' ') -replace '^ceph version (\S+).*$', 'Ceph RGW $1' } catch { 'Ceph RGW' }
    $s3rverVersion = try {
        's3rver ' + (Get-Content -LiteralPath (Join-Path (Join-Path $TestServicesDir 's3rver') 'package.json') -Raw | ConvertFrom-Json).dependencies.'@20minutes/s3rver'
    } catch { 's3rver' }

    # Credentials as in production: the AWS default chain from the environment (set per server for each step,
    # see Get-S3Environment). awscli: path-style, no v2 checksums.
    $env:AWS_ACCESS_KEY_ID = $script:S3Servers['RGW'].AccessKey
    $env:AWS_SECRET_ACCESS_KEY = $script:S3Servers['RGW'].SecretKey
    $env:AWS_REGION = 'us-east-1'; $env:AWS_DEFAULT_REGION = 'us-east-1'
    $env:AWS_REQUEST_CHECKSUM_CALCULATION = 'when_required'; $env:AWS_RESPONSE_CHECKSUM_VALIDATION = 'when_required'
    $env:AWS_PAGER = ''; $env:AWS_PROFILE = $null
    $awsConfig = Join-Path $WorkDir 'aws-config'
    Set-Content -LiteralPath $awsConfig -Value "[default]`nregion = us-east-1`ns3 =`n    addressing_style = path`n"
    $env:AWS_CONFIG_FILE = $awsConfig
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $WorkDir 'aws-credentials-none'

    $tree = Join-Path $WorkDir 'tree'
    Write-Status "writing the tree: $Files files of 1-256 KiB + $LargeFiles x $LargeSizeMiB MiB"
    $totalBytes = New-Tree $tree
    $fileCount = $Files + $LargeFiles
    $childPath = Join-Path $WorkDir 'child-sync.ps1'
    Set-Content -LiteralPath $childPath -Value $ChildSync

    # The environment that points the AWS default chain (the module, awscli) at one S3 server's credentials.
    function Get-S3Environment([string]$Server) { @{ AWS_ACCESS_KEY_ID = $script:S3Servers[$Server].AccessKey; AWS_SECRET_ACCESS_KEY = $script:S3Servers[$Server].SecretKey } }
    $tools = [ordered]@{}
    $tools['clutterdr'] = {
        param($bucket, $server)
        $timeFile = Join-Path $WorkDir "cmdlet-$bucket.txt"
        $t = Invoke-Timed (@($pwshCmd) + @('-NoProfile', '-NonInteractive', '-File', $childPath, '-Module', $module, '-Source', $tree,
                '-Destination', "s3://$bucket/media", '-Endpoint', $script:S3Servers[$server].Endpoint, '-ThrottleLimit', $ThrottleLimit, '-TimeFile', $timeFile)) -Environment (Get-S3Environment $server) -S3 $server
        $c = (Get-Content -LiteralPath $timeFile) -split ' '
        $t | Add-Member CmdletSeconds ([double]::Parse($c[0], $inv)); $t | Add-Member Transferred ([int]$c[1])
        $t
    }
    if ($aws) {
        $tools['aws'] = {
            param($bucket, $server)
            Invoke-Timed @($aws, 's3', 'sync', $tree, "s3://$bucket/media", '--endpoint-url', $script:S3Servers[$server].Endpoint, '--only-show-errors', '--no-progress') -Environment (Get-S3Environment $server) -S3 $server
        }
    }
    if ($rclone) {
        $tools['rclone'] = {
            param($bucket, $server)
            $s = $script:S3Servers[$server]
            Invoke-Timed @($rclone, 'sync', $tree, ":s3:$bucket/media", '--s3-provider', 'Other', '--s3-endpoint', $s.Endpoint,
                '--s3-access-key-id', $s.AccessKey, '--s3-secret-access-key', $s.SecretKey, '--s3-region', 'us-east-1',
                '--s3-force-path-style=true', '--s3-env-auth=false', '--config', '/dev/null', '-q') -Unset @('AWS_CA_BUNDLE') -S3 $server
        }
    }
    $names = @($tools.Keys)
    $serverNames = @($script:S3Servers.Keys)
    for ($run = 1; $run -le $Runs; $run++) {
        $order = @(for ($i = 0; $i -lt $names.Count; $i++) { $names[($i + $run - 1) % $names.Count] })
        # Each tool against RGW, then against s3rver (the servers' order rotating too).
        $servers = @(for ($i = 0; $i -lt $serverNames.Count; $i++) { $serverNames[($i + $run - 1) % $serverNames.Count] })
        foreach ($name in $order) {
            foreach ($server in $servers) {
                $s = $script:S3Servers[$server]
                $bucket = "bench-$name-" + [guid]::NewGuid().ToString('N').Substring(0, 8)
                # Signed requests: RGW refuses unsigned ones.
                $resp = Invoke-SignedS3Request -Method Put -Path "/$bucket" -Endpoint $s.Endpoint -AccessKey $s.AccessKey -SecretKey $s.SecretKey -SkipHttpErrorCheck
                if ([int]$resp.StatusCode -ge 300) { throw "Creating bucket $bucket on $server ($($s.Endpoint)) failed: HTTP $($resp.StatusCode) $($resp.Content)" }
                $buckets.Add([pscustomobject]@{ Server = $server; Name = $bucket })
                foreach ($step in 'first', 'nochange') {
                    Write-Status "run $run/$Runs, $name -> $server, $step run"
                    $r = & $tools[$name] $bucket $server
                    $cmdlet = if ($r.PSObject.Properties['CmdletSeconds']) { $r.CmdletSeconds } else { [double]::NaN }
                    $rows.Add([pscustomobject]@{ Run = $run; Server = $server; Tool = $name; Step = $step; Seconds = $r.Seconds; CmdletSeconds = $cmdlet; PeakMB = $r.PeakMB
                            CpuSec = $r.CpuSec; S3CpuSec = $r.S3CpuSec; OtherCpuSec = $r.OtherCpuSec })
                    Write-Status ('  {0:N2} s (cmdlet {1:N2} s), peak {2:N0} MB, CPU {3:N1} s, {4} CPU {5:N2} s, other {6:N1} s' -f $r.Seconds, $cmdlet, $r.PeakMB, $r.CpuSec, $server, $r.S3CpuSec, $r.OtherCpuSec)
                }
                # Every tool uploaded everything.
                $keys = 0; $token = $null
                do {
                    $query = [ordered]@{ 'list-type' = '2' }
                    if ($token) { $query['continuation-token'] = $token }
                    $resp = Invoke-SignedS3Request -Path "/$bucket" -Query $query -Endpoint $s.Endpoint -AccessKey $s.AccessKey -SecretKey $s.SecretKey
                    [xml]$xml = $resp.Content
                    $keys += @($xml.ListBucketResult.SelectNodes('*[local-name()="Contents"]')).Count
                    $token = if ($xml.ListBucketResult.IsTruncated -eq 'true') { $xml.ListBucketResult.NextContinuationToken } else { $null }
                } while ($token)
                if ($keys -ne $fileCount) { throw "$name left $keys objects in $bucket on $server, expected $fileCount." }
            }
        }
    }
    function Get-Median([double[]]$Values) {
        $v = @($Values | Where-Object { -not [double]::IsNaN($_) } | Sort-Object)
        if ($v.Count -eq 0) { return [double]::NaN }
        if ($v.Count % 2) { return $v[[int][math]::Floor($v.Count / 2)] }
        ($v[$v.Count / 2 - 1] + $v[$v.Count / 2]) / 2
    }
    $allRuns = $rows
    $rows = [Collections.Generic.List[object]]::new()
    foreach ($g in $allRuns | Group-Object Server, Tool, Step) {
        $rows.Add([pscustomobject]@{
                Server = $g.Group[0].Server; Tool = $g.Group[0].Tool; Step = $g.Group[0].Step
                Seconds = Get-Median @($g.Group.Seconds); CmdletSeconds = Get-Median @($g.Group.CmdletSeconds)
                PeakMB = ($g.Group | Measure-Object PeakMB -Maximum).Maximum; CpuSec = Get-Median @($g.Group.CpuSec)
                S3CpuSec = Get-Median @($g.Group.S3CpuSec); OtherCpuSec = Get-Median @($g.Group.OtherCpuSec)
            })
    }

    # ------------------------------------------------------------------------------------------- report
    $lines = [Collections.Generic.List[string]]::new()
    $L = { param($s) $lines.Add($s) }
    $cores = [Environment]::ProcessorCount
    $memGiB = [math]::Round(((Get-Content /proc/meminfo -TotalCount 1) -replace '\D', '') / 1MB)
    $awsVersion = if ($aws) { ((& $aws --version 2>&1) -join ' ') -replace ' Python.*', '' } else { 'n/a' }
    $rcloneVersion = if ($rclone) { (& $rclone version 2>&1 | Select-Object -First 1) } else { 'n/a' }
    $serverText = "$rgwVersion (radosgw, one memstore ceph-osd, one ceph-mon; tests/TestServices) at $($script:S3Servers['RGW'].Endpoint)"
    if ($script:S3Servers.Contains('s3rver')) { $serverText = "two S3 servers on the same machine: $serverText, and $s3rverVersion (node) at $($script:S3Servers['s3rver'].Endpoint)" }
    else { $serverText = "S3 server: $serverText" }
    & $L "# Sync benchmark, $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC"
    & $L ''
    & $L ('Machine: {0} cores, {1} GiB RAM. PowerShell {2}; {3}; {4}; {5}. Commit {6}{7}.' -f
        $cores, $memGiB, $PSVersionTable.PSVersion, $awsVersion, $rcloneVersion, $serverText, $commit, $(if ($dirty) { ' (src/ has uncommitted changes)' } else { '' }))
    & $L ''
    & $L ('Tree: {0:N0} files, {1:N0} MB ({2:N0} of 1-256 KiB, {3} x {4} MiB). Folder -> S3 into an empty bucket per tool and server, then the same command again (no change). Sync-ClutterStorage -ThrottleLimit {5}; aws and rclone with their defaults. {6} run(s) per tool and server, the order rotating{7}.' -f
        $fileCount, ($totalBytes / 1e6), $Files, $LargeFiles, $LargeSizeMiB, $ThrottleLimit, $Runs, $(if ($Runs -gt 1) { ': median seconds and CPU, highest peak RSS' } else { '' }))
    & $L ''
    & $L 'Seconds, peak RSS (largest process) and CPU (user+sys of the tree) from GNU time around each command. "Cmdlet s": the Sync-ClutterStorage call alone, without pwsh start-up and Import-Module. Ratios against the faster of aws and rclone on the same server in this run: "ratio" uses the cmdlet call, "process ratio" the whole pwsh process. "Server CPU s": the CPU of the S3 server the step talks to during the step (RGW: radosgw + ceph-osd + ceph-mon; s3rver: node); "other CPU s": CPU used meanwhile by anything else on the machine (noise; the idle S3 server is counted in neither).'
    & $L ''
    & $L '| Server | Step | Tool | Seconds | Cmdlet s | Ratio | Process ratio | Peak RSS MB | CPU s | Server CPU s | Other CPU s |'
    & $L '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'
    $targets = @{ first = 0.8; nochange = 0.5 }
    $stepName = @{ first = 'first run'; nochange = 'no-change run' }
    $verdicts = [Collections.Generic.List[string]]::new()
    # The time a row is judged by: the cmdlet call for Sync-ClutterStorage, else the process.
    $judge = { param($r) if ([double]::IsNaN($r.CmdletSeconds)) { $r.Seconds } else { $r.CmdletSeconds } }
    foreach ($server in $serverNames) {
        foreach ($step in 'first', 'nochange') {
            $peers = @($rows | Where-Object { $_.Server -eq $server -and $_.Step -eq $step -and $_.Tool -ne 'clutterdr' })
            $best = if ($peers) { ($peers | Measure-Object Seconds -Minimum).Minimum } else { [double]::NaN }
            $bestName = if ($peers) { ($peers | Sort-Object Seconds | Select-Object -First 1).Tool } else { 'n/a' }
            foreach ($r in $names | ForEach-Object { $t = $_; $rows | Where-Object { $_.Server -eq $server -and $_.Step -eq $step -and $_.Tool -eq $t } }) {
                $ratio = (& $judge $r) / $best; $pratio = $r.Seconds / $best
                & $L ('| {0} | {1} | {2} | {3:N2} | {4} | {5:N2} | {6:N2} | {7:N0} | {8:N1} | {9:N2} | {10:N1} |' -f $server, $stepName[$step], $r.Tool,
                    $r.Seconds, $(if ([double]::IsNaN($r.CmdletSeconds)) { '' } else { $r.CmdletSeconds.ToString('N2', $inv) }), $ratio, $pratio, $r.PeakMB, $r.CpuSec,
                    $r.S3CpuSec, $r.OtherCpuSec)
                if ($r.Tool -eq 'clutterdr' -and $peers) {
                    $met = $ratio -le $targets[$step]
                    $verdicts.Add(('| {0} | {1} <= {2}x the faster peer ({3}) | {4:N2}x (whole process {5:N2}x) | {6} |' -f
                            $server, $(if ($step -eq 'first') { 'First run' } else { 'No-change run' }), $targets[$step], $bestName, $ratio, $pratio, $(if ($met) { 'yes' } else { 'NO' })))
                }
            }
        }
    }
    & $L ''
    & $L '| Server | Target | Measured | Met |'
    & $L '|---|---|---|---|'
    foreach ($v in $verdicts) { & $L $v }
    if ($script:S3Servers.Contains('s3rver')) {
        & $L ''
        & $L '### RGW vs s3rver'
        & $L ''
        & $L '| Step | Tool | RGW s | s3rver s | RGW/s3rver | RGW peak RSS MB | s3rver peak RSS MB | RGW CPU s | s3rver CPU s |'
        & $L '|---|---|---:|---:|---:|---:|---:|---:|---:|'
        foreach ($step in 'first', 'nochange') {
            foreach ($name in $names) {
                $ar = @($rows | Where-Object { $_.Server -eq 'RGW' -and $_.Step -eq $step -and $_.Tool -eq $name })
                $as = @($rows | Where-Object { $_.Server -eq 's3rver' -and $_.Step -eq $step -and $_.Tool -eq $name })
                if (-not $ar -or -not $as) { continue }
                $ar = $ar[0]; $as = $as[0]
                & $L ('| {0} | {1} | {2:N2} | {3:N2} | {4:N2}x | {5:N0} | {6:N0} | {7:N2} | {8:N2} |' -f $stepName[$step], $name, (& $judge $ar), (& $judge $as),
                    ((& $judge $ar) / (& $judge $as)), $ar.PeakMB, $as.PeakMB, $ar.S3CpuSec, $as.S3CpuSec)
            }
        }
        & $L ''
        & $L 'Seconds: "cmdlet s" for Sync-ClutterStorage, the process for aws and rclone. "RGW CPU s" / "s3rver CPU s": the S3 server''s own CPU during the step.'
    }
    if ($script:NoisySteps) { & $L ''; & $L "Note: $($script:NoisySteps) step(s) ran while other processes kept the machine busy (2-core machine shared with other work): compare ratios, not absolute times." }
    & $L ''
    & $L '<details><summary>Every run</summary>'
    & $L ''
    & $L '| Run | Server | Step | Tool | Seconds | Cmdlet s | Peak RSS MB | CPU s | Server CPU s | Other CPU s |'
    & $L '|---:|---|---|---|---:|---:|---:|---:|---:|---:|'
    foreach ($r in $allRuns) {
        & $L ('| {0} | {1} | {2} | {3} | {4:N2} | {5} | {6:N0} | {7:N1} | {8:N2} | {9:N1} |' -f $r.Run, $r.Server, $r.Step, $r.Tool, $r.Seconds,
            $(if ([double]::IsNaN($r.CmdletSeconds)) { '' } else { $r.CmdletSeconds.ToString('N2', $inv) }), $r.PeakMB, $r.CpuSec, $r.S3CpuSec, $r.OtherCpuSec)
    }
    & $L ''
    & $L '</details>'
    & $L ''
    & $L ('Total bench time {0:N0} s.' -f ((Get-Date) - $started).TotalSeconds)
    $report = $lines -join "`n"
    $null = New-Item -ItemType Directory -Path $ResultsDir -Force
    $out = Join-Path $ResultsDir ("sync-{0}.md" -f (Get-Date -Format 'yyyy-MM-dd'))
    if (Test-Path -LiteralPath $out) { $out = Join-Path $ResultsDir ("sync-{0}.md" -f (Get-Date -Format 'yyyy-MM-dd-HHmm')) }
    Set-Content -LiteralPath $out -Value $report
    Write-Status "report: $out"
    $report
}
finally {
    foreach ($b in $buckets) {
        if (-not $aws) { break }
        $s = $script:S3Servers[$b.Server]
        $env:AWS_ACCESS_KEY_ID = $s.AccessKey; $env:AWS_SECRET_ACCESS_KEY = $s.SecretKey
        # (`aws s3 rb` knows no --only-show-errors: with it, it removed nothing.)
        $out = & $aws s3 rb "s3://$($b.Name)" --force --endpoint-url $s.Endpoint 2>&1
        if ($LASTEXITCODE -ne 0) { Write-Warning "could not remove bucket $($b.Name) on $($b.Server): $out" }
    }
    if ($services -and @($services.Started).Count -gt 0) {
        & (Join-Path $TestServicesDir 'Stop-TestServices.ps1') -StatePath $StatePath -Only $services.Started 6>$null | Out-Null
    }
    foreach ($k in $savedEnv.Keys) { [Environment]::SetEnvironmentVariable($k, $savedEnv[$k]) }
    if (-not $KeepWork) { Remove-Item -LiteralPath $WorkDir -Recurse -Force -ErrorAction SilentlyContinue }
}
