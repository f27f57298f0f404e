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

. (Join-Path $PSScriptRoot '_BenchCommon.ps1')   # the shared harness: Write-Status, Invoke-Timed, Wait-Quiet, Get-Median, the services and S3 servers, ...
. (Join-Path (Join-Path $PSScriptRoot 'sync') 'New-Tree.ps1')
. (Join-Path (Join-Path $PSScriptRoot 'sync') 'Write-SyncReport.ps1')
$script:QuietThreshold = 0.3   # cores busy outside the step that still count as quiet (Wait-Quiet)

$savedEnv = Save-BenchEnvironment
$null = New-Item -ItemType Directory -Path $WorkDir -Force
$StatePath = Join-Path (Join-Path $WorkDir 'services') 'state.json'
$services = $null
$buckets = [Collections.Generic.List[object]]::new()   # Server, Name
$rows = [Collections.Generic.List[object]]::new()
$started = Get-Date
try {
    $commitInfo = Get-CommitInfo; $commit = $commitInfo.Commit; $dirty = $commitInfo.Dirty
    $pwshCmd = Get-PwshCommand
    if ($ModulePath) { $module = $ModulePath }
    else {
        if (-not $SkipBuild) {
            $rc = Invoke-ModuleBuild $pwshCmd
            if ($rc -ne 0) { throw "build.ps1 -Task Build failed ($rc)" }
        }
        $module = Join-Path (Join-Path (Join-Path $RepoRoot 'out') 'ClutterDR') 'ClutterDR.psd1'
    }
    $aws = Install-AptTool 'awscli' '/usr/bin/aws'
    $rclone = Install-AptTool 'rclone' '/usr/bin/rclone'

    $services = Start-BenchServices $StatePath
    Register-S3Servers -SkipS3rver:$SkipS3rver
    Find-S3ServerProcesses
    $versions = Get-S3ServerVersions

    # Credentials as in production: the AWS default chain from the environment (set per server for each step,
    # see Get-S3Environment). awscli: path-style, no v2 checksums.
    Set-AwsEnvironment

    $tree = Join-Path $WorkDir 'tree'
    Write-Status "writing the tree: $Files files of 1-256 KiB + $LargeFiles x $LargeSizeMiB MiB"
    $totalBytes = New-Tree $tree
    $fileCount = $Files + $LargeFiles
    $childPath = Join-Path (Join-Path $PSScriptRoot 'sync') 'Child-Sync.ps1'
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

    $report = Write-SyncReport -Rows $rows -AllRuns $allRuns -Names $names -ServerNames $serverNames -Aws $aws -Rclone $rclone `
        -RgwVersion $versions.RGW -S3rverVersion $versions.S3rver -Commit $commit -Dirty $dirty -FileCount $fileCount -TotalBytes $totalBytes -Started $started
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
