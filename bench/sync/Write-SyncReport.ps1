# The sync benchmark's report (dot-sourced by bench/sync.ps1): per server and step each tool's seconds against the
# faster of aws and rclone, the targets, RGW vs s3rver and every run; written to bench/results/sync-<date>.md.
# Returns the markdown. Reads the -Files / -LargeFiles / -LargeSizeMiB / -ThrottleLimit / -Runs parameters of bench/sync.ps1.
function Write-SyncReport {
    param($Rows, $AllRuns, [string[]]$Names, [string[]]$ServerNames, [string]$Aws, [string]$Rclone, [string]$RgwVersion, [string]$S3rverVersion,
        [string]$Commit, [bool]$Dirty, [int]$FileCount, [long]$TotalBytes, [datetime]$Started)
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
    if ($script:NoisyWaits) { & $L ''; & $L "Note: $($script:NoisyWaits) step(s) ran while other processes kept the machine busy (2-core machine shared with other work): compare ratios, not absolute times." }
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
