<#
.SYNOPSIS
    Benchmarks Backup-ClutterStorage against Sync-ClutterStorage of the same tree, and what 30 daily snapshots store.

.DESCRIPTION
    The tree of bench/sync.ps1 (-Files small files of 1 to 256 KiB and -LargeFiles x -LargeSizeMiB MiB, a fixed seed),
    on Ceph RGW (the real S3 server of tests/TestServices), each step in a fresh pwsh under GNU time (Invoke-Timed of
    bench/_BenchCommon.ps1), the cmdlet call timed alone too (bench/snapshot/Child-Snapshot.ps1):

      sync first / sync no-change           Sync-ClutterStorage folder -> s3://<bucket A>/media
      snapshot first / snapshot unchanged   Backup-ClutterStorage folder -> s3://<bucket B>/snaps
      30 days                               -Days snapshots, each after rewriting -ChangePercent % of the small files
      restore one file                      Get-ClutterStorageSnapshot -Latest | Restore-ClutterStorage -Include <one key>

    Targets (issue 16): first snapshot <= 1.1x the first sync; unchanged snapshot <= the no-change sync; the bytes
    stored in bucket B after the 30 days <= 1.35x one copy of the tree. That a one-file restore reads one index and
    one blob is proven by SnapshotTests (requests counted through tests/FaultProxy); here its time is shown.
    Writes bench/results/snapshot-<date>.md (with the load average beside the numbers) and prints it.

.EXAMPLE
    dotnet pwsh ./bench/snapshot.ps1
.EXAMPLE
    dotnet pwsh ./bench/snapshot.ps1 -Files 500 -LargeFiles 2 -Days 5 -SkipBuild     # a quick look
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    [ValidateRange(1, 1000000)] [int]$Files = 5000,
    [ValidateRange(0, 10000)] [int]$LargeFiles = 20,
    [ValidateRange(1, 4096)] [int]$LargeSizeMiB = 10,
    [ValidateRange(1, 365)] [int]$Days = 30,
    [ValidateRange(0.01, 100)] [double]$ChangePercent = 1,
    [switch]$SkipBuild,
    [string]$WorkDir,
    [ValidateRange(0, 3600)] [int]$QuietTimeout = 30,
    [ValidateRange(1, 256)] [int]$ThrottleLimit = 8
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0
if (-not $IsLinux) { throw 'bench/snapshot.ps1 measures with GNU time and /proc: it runs on Linux only.' }

$RepoRoot = Split-Path -Parent $PSScriptRoot
$ResultsDir = Join-Path $PSScriptRoot 'results'
$TestServicesDir = Join-Path (Join-Path $RepoRoot 'tests') 'TestServices'
$RunId = 'snapshot-' + (Get-Date -Format 'yyyyMMdd-HHmmss') + '-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
if (-not $WorkDir) { $WorkDir = Join-Path ([IO.Path]::GetTempPath()) "clutterdr-bench-$RunId" }
$WorkDir = [IO.Path]::GetFullPath($WorkDir)
$inv = [Globalization.CultureInfo]::InvariantCulture

. (Join-Path $PSScriptRoot '_BenchCommon.ps1')
. (Join-Path (Join-Path $PSScriptRoot 'sync') 'New-Tree.ps1')
$script:QuietThreshold = 0.3

$savedEnv = Save-BenchEnvironment
$null = New-Item -ItemType Directory -Path $WorkDir -Force
$StatePath = Join-Path (Join-Path $WorkDir 'services') 'state.json'
$services = $null
$rows = [Collections.Generic.List[object]]::new()
$started = Get-Date
function Get-Load { (Get-Content /proc/loadavg) -split ' ' | Select-Object -First 3 }
function Get-StoredBytes([string]$Bucket, [string]$Prefix) {
    $s = $script:S3Servers['RGW']; $total = 0L; $count = 0; $token = $null
    do {
        $query = [ordered]@{ 'list-type' = '2'; prefix = $Prefix }
        if ($token) { $query['continuation-token'] = $token }
        $resp = Invoke-SignedS3Request -Path "/$Bucket" -Query $query -Endpoint $s.Endpoint -AccessKey $s.AccessKey -SecretKey $s.SecretKey
        [xml]$xml = $resp.Content
        foreach ($c in $xml.ListBucketResult.SelectNodes('*[local-name()="Contents"]')) { $total += [long]$c.Size; $count++ }
        $token = if ($xml.ListBucketResult.IsTruncated -eq 'true') { $xml.ListBucketResult.NextContinuationToken } else { $null }
    } while ($token)
    [pscustomobject]@{ Bytes = $total; Objects = $count }
}
try {
    $commitInfo = Get-CommitInfo
    $pwshCmd = Get-PwshCommand
    if (-not $SkipBuild) { if ((Invoke-ModuleBuild $pwshCmd) -ne 0) { throw 'build.ps1 -Task Build failed' } }
    $module = Join-Path (Join-Path (Join-Path $RepoRoot 'out') 'ClutterDR') 'ClutterDR.psd1'
    $services = Start-BenchServices $StatePath
    Register-S3Servers -SkipS3rver
    Find-S3ServerProcesses
    $s = $script:S3Servers['RGW']
    $tree = Join-Path $WorkDir 'tree'
    Write-Status "writing the tree: $Files files of 1-256 KiB + $LargeFiles x $LargeSizeMiB MiB"
    $totalBytes = New-Tree $tree
    $child = Join-Path (Join-Path $PSScriptRoot 'snapshot') 'Child-Snapshot.ps1'
    $buckets = @{}
    foreach ($b in 'sync', 'snap') {
        $buckets[$b] = "bench-$b-" + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $null = Invoke-SignedS3Request -Method Put -Path "/$($buckets[$b])" -Endpoint $s.Endpoint -AccessKey $s.AccessKey -SecretKey $s.SecretKey
    }
    function Step([string]$Name, [string]$ChildStep, [string]$Source, [string]$Destination, [string[]]$Extra = @()) {
        $timeFile = Join-Path $WorkDir "$Name.txt"
        Write-Status "$Name"
        $load = (Get-Load) -join ' '
        $t = Invoke-Timed (@($pwshCmd) + @('-NoProfile', '-NonInteractive', '-File', $child, '-Module', $module, '-Step', $ChildStep, '-Source', $Source,
                '-Destination', $Destination, '-Endpoint', $s.Endpoint, '-ThrottleLimit', $ThrottleLimit, '-TimeFile', $timeFile) + $Extra) -Environment (Get-S3Environment 'RGW') -S3 'RGW'
        $c = (Get-Content -LiteralPath $timeFile) -split ' ', 2
        $row = [pscustomobject]@{ Step = $Name; Seconds = $t.Seconds; CmdletSeconds = [double]::Parse($c[0], $inv); Detail = $c[1]; PeakMB = $t.PeakMB; CpuSec = $t.CpuSec; S3CpuSec = $t.S3CpuSec; OtherCpuSec = $t.OtherCpuSec; LoadBefore = $load }
        Write-Status ('  {0:N2} s (cmdlet {1:N2} s), peak {2:N0} MB, load {3}; {4}' -f $row.Seconds, $row.CmdletSeconds, $row.PeakMB, $load, $row.Detail)
        $rows.Add($row)
    }
    Step 'sync first' 'sync' $tree "s3://$($buckets.sync)/media"
    Step 'sync no-change' 'sync' $tree "s3://$($buckets.sync)/media"
    Step 'snapshot first' 'snapshot' $tree "s3://$($buckets.snap)/snaps"
    Step 'snapshot unchanged' 'snapshot' $tree "s3://$($buckets.snap)/snaps"
    Step "$Days days, $ChangePercent% changed a day" 'days' $tree "s3://$($buckets.snap)/snaps" @('-Days', $Days, '-ChangePercent', $ChangePercent)
    Step 'restore one file' 'restore-one' "s3://$($buckets.snap)/snaps" (Join-Path $WorkDir 'restored') @('-Include', 'd07/s03/file-00157.bin')
    $stored = Get-StoredBytes $buckets.snap 'snaps/'
    $index = Get-StoredBytes $buckets.snap 'snaps/snapshots/'

    $r = @{}; foreach ($row in $rows) { $r[$row.Step] = $row }
    $first = $r['snapshot first'].CmdletSeconds / $r['sync first'].CmdletSeconds
    $again = $r['snapshot unchanged'].CmdletSeconds / $r['sync no-change'].CmdletSeconds
    $space = $stored.Bytes / $totalBytes
    $md = [Text.StringBuilder]::new()
    $null = $md.AppendLine("# Storage snapshots vs sync ($(Get-Date -Format 'yyyy-MM-dd HH:mm'))").AppendLine()
    $null = $md.AppendLine("Commit $($commitInfo.Commit)$(if ($commitInfo.Dirty) { ' (dirty)' }), Ceph RGW, $($Files + $LargeFiles) files / $([math]::Round($totalBytes / 1MB)) MiB, ThrottleLimit $ThrottleLimit, $([Environment]::ProcessorCount) cores. One run; load average (1/5/15 min) before each step beside it: the machine was shared.").AppendLine()
    $null = $md.AppendLine('| Step | Cmdlet s | Process s | Peak MB | CPU s | RGW CPU s | Other CPU s | Load before | Detail |').AppendLine('|---|---:|---:|---:|---:|---:|---:|---|---|')
    foreach ($row in $rows) { $null = $md.AppendLine(('| {0} | {1:N2} | {2:N2} | {3:N0} | {4:N1} | {5:N1} | {6:N1} | {7} | {8} |' -f $row.Step, $row.CmdletSeconds, $row.Seconds, $row.PeakMB, $row.CpuSec, $row.S3CpuSec, $row.OtherCpuSec, $row.LoadBefore, $row.Detail)) }
    $null = $md.AppendLine().AppendLine('Detail: sync = keys copied; snapshot = new blobs, new bytes, reused files; days = files changed a day, bytes uploaded over all days; restore = files, bytes.').AppendLine()
    $null = $md.AppendLine(('- First snapshot / first sync (cmdlet): **{0:N2}x** (target <= 1.1x)' -f $first))
    $null = $md.AppendLine(('- Unchanged snapshot / no-change sync (cmdlet): **{0:N2}x** (target <= 1.0x)' -f $again))
    $null = $md.AppendLine(('- Stored after {0} snapshots ({1} days of {2}% changes): {3:N0} bytes in {4:N0} objects ({5:N0} bytes of indexes) = **{6:N3}x** one copy of the tree (target <= 1.35x; the nightly tar.gz: {7}x)' -f ($Days + 2), $Days, $ChangePercent, $stored.Bytes, $stored.Objects, $index.Bytes, $space, $Days))
    $null = $md.AppendLine('- Restore of one file: one index GET and one blob GET (asserted by SnapshotTests through the fault proxy); time above.')
    $text = $md.ToString()
    $null = New-Item -ItemType Directory -Path $ResultsDir -Force
    Set-Content -LiteralPath (Join-Path $ResultsDir "snapshot-$(Get-Date -Format 'yyyy-MM-dd-HHmm').md") -Value $text
    $text
}
finally {
    if ($services -and @($services.Started).Count -gt 0) {
        & (Join-Path $TestServicesDir 'Stop-TestServices.ps1') -StatePath $StatePath -Only $services.Started 6>$null | Out-Null
    }
    foreach ($k in $savedEnv.Keys) { [Environment]::SetEnvironmentVariable($k, $savedEnv[$k]) }
    Remove-Item -LiteralPath $WorkDir -Recurse -Force -ErrorAction SilentlyContinue
}
