# The backup benchmark's report (dot-sourced by bench/backup.ps1): the per-scale table (medians, highest peak RSS,
# ratios against the producer limit and pg_restore), RGW vs s3rver, the targets, noise and the step notes; written
# with the raw rows (JSON) to bench/results/backup-<date>.md. Returns the markdown.
function Write-BackupReport {
    param([string]$PgVersion, [string]$AwsVersion, [string]$AwsNote, [string]$RgwVersion, [string]$S3rverVersion, [string]$Commit, [bool]$Dirty, [datetime]$Started)
    $inv = [Globalization.CultureInfo]::InvariantCulture
    function Fmt([double]$v, [string]$f = 'N2') { if ([double]::IsNaN($v)) { '' } else { $v.ToString($f, $inv) } }
    function Get-Agg([int]$ScaleValue, [string]$Key) {
        $rs = @($Rows | Where-Object { $_.Scale -eq $ScaleValue -and $_.Key -eq $Key })
        if ($rs.Count -eq 0) { return $null }
        $cmd = @($rs | Where-Object { -not [double]::IsNaN($_.CmdletSeconds) } | ForEach-Object CmdletSeconds)
        $tool = @($rs | Where-Object { -not [double]::IsNaN($_.ToolPeakMB) } | ForEach-Object ToolPeakMB)
        $pw = @($rs | Where-Object { -not [double]::IsNaN($_.PwshPeakMB) } | ForEach-Object PwshPeakMB)
        [pscustomobject]@{
            Seconds = Get-Median @($rs.Seconds); CpuSec = Get-Median @($rs.CpuSec)
            ServerCpuSec = Get-Median @($rs.ServerCpuSec); S3CpuSec = Get-Median @($rs | ForEach-Object S3CpuSec); OtherCpuSec = Get-Median @($rs.OtherCpuSec)
            PeakMB = ($rs | Measure-Object PeakMB -Maximum).Maximum
            CmdletSeconds = if ($cmd.Count) { Get-Median $cmd } else { [double]::NaN }
            ToolPeakMB = if ($tool.Count) { ($tool | Measure-Object -Maximum).Maximum } else { [double]::NaN }
            PwshPeakMB = if ($pw.Count) { ($pw | Measure-Object -Maximum).Maximum } else { [double]::NaN }
            Bytes = ($rs | Measure-Object Bytes -Maximum).Maximum
            Runs = $rs.Count
        }
    }
    # The time a step is judged by: the cmdlet call alone for pwsh steps, else the process.
    function Get-JudgedSeconds($a) { if (-not [double]::IsNaN($a.CmdletSeconds)) { $a.CmdletSeconds } else { $a.Seconds } }

    $md = [Text.StringBuilder]::new()
    $L = { param($s) [void]$md.AppendLine($s) }
    & $L "# ClutterDR backup/restore benchmark, $(Get-Date -Format 'yyyy-MM-dd HH:mm')"
    & $L ''
    & $L ('Machine: {0} cores, {1:N0} GiB RAM, {2}. {3}; {4}; PowerShell {5}; awscli {6}. Commit {7}{8}. Scales {9}, {10} run(s) each{11}.' -f
        [Environment]::ProcessorCount, ([double]((Get-Content /proc/meminfo -TotalCount 1) -replace '\D', '') / 1MB),
        ((Get-Content /etc/os-release | Where-Object { $_ -like 'PRETTY_NAME=*' }) -replace 'PRETTY_NAME=|"', ''),
        $pgVersion, $(if ($script:S3Servers.Contains('s3rver')) {
                "PostgreSQL server and two S3 servers, $rgwVersion (radosgw, one memstore ceph-osd, one ceph-mon) and $s3rverVersion (node), on the same machine"
            } else { "PostgreSQL server and S3 (${rgwVersion}: radosgw, one memstore ceph-osd, one ceph-mon) on the same machine" }),
        $PSVersionTable.PSVersion, $awsVersion,
        $commit, $(if ($dirty) { ' (src/ has uncommitted changes)' } else { '' }), ($Scale -join ', '), $Runs, $(if ($Runs -gt 1) { ': median seconds, highest peak RSS' } else { '' }))
    if ($script:BuildNote) { & $L ''; & $L "Build: $($script:BuildNote)." }
    if ($awsNote) { & $L ''; & $L "**$awsNote**" }
    & $L ''
    & $L 'Seconds and peak RSS come from GNU time (`/usr/bin/time -f ''%e %M %U %S''`) around each command; peak RSS is that of the largest single process of the command''s tree (for pwsh steps: pwsh). CPU s = user+sys of the command''s whole tree (pg_dump included); "server CPU s" = the CPU of the PostgreSQL server and of the S3 server the step talks to (RGW: radosgw + ceph-osd + ceph-mon; s3rver: node) during the step; "other CPU s" = CPU used meanwhile by anything else on the machine (noise: the script waits for a quiet machine before each step, but cannot stop others starting; the S3 server the step does not use is counted in neither). For pwsh steps, "cmdlet s" is the cmdlet call alone (no pwsh start-up, no Import-Module), "pwsh MB" is pwsh''s own peak (VmHWM) and "tool MB" the peak of the pg_dump / pg_restore the module started. Ratios: backup steps vs the producer limit, restore steps vs pg_restore; pwsh steps use "cmdlet s". Rows marked RGW go to Ceph RGW (the real S3 server), rows marked s3rver to s3rver, in the same run; the RGW-vs-s3rver table below each scale compares them.'
    & $L ''

    $targets = [Collections.Generic.List[object]]::new()
    foreach ($sc in $Scale) {
        $dbi = @($script:DbInfo | Where-Object Scale -eq $sc)[0]
        $raw = if ($script:RawBytes.ContainsKey($sc)) { $script:RawBytes[$sc] } else { 0 }
        & $L "## Scale $sc ($('{0:N0}' -f ($dbi.Bytes / 1MB)) MB database, $('{0:N0}' -f ($raw / 1MB)) MB raw dump)"
        & $L ''
        & $L '| Step | Seconds | Cmdlet s | Ratio | Peak RSS MB | pwsh MB | tool MB | CPU s | Server CPU s | Other CPU s | Stored MB |'
        & $L '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
        $producer = Get-Agg $sc 'producer'
        $pgr = Get-Agg $sc 'pgrestore'
        foreach ($key in $StepInfo.Keys) {
            $a = Get-Agg $sc $key
            if (-not $a) { continue }
            $info = $StepInfo[$key]
            $ref = switch ($info.Group) { 'backup' { $producer } 'restore' { $pgr } default { $null } }
            $ratio = if ($ref -and $key -notin 'producer', 'pgrestore') { (Get-JudgedSeconds $a) / $ref.Seconds } elseif ($ref) { 1.0 } else { [double]::NaN }
            $ratioText = if ([double]::IsNaN($ratio)) { '' } else { (Fmt $ratio) + 'x' }
            if ($key -like 'runbook.*') { $ratioText = '' }
            $stored = if ($a.Bytes -gt 0) { Fmt ($a.Bytes / 1MB) 'N1' } else { '' }
            $label = if ($key -like 'runbook.*') { '↳ ' + $info.Label.Trim() } else { $info.Label }
            $label = $label -replace '\|', '\|'
            & $L ('| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} | {8} | {9} | {10} |' -f $label,
                (Fmt $a.Seconds), (Fmt $a.CmdletSeconds), $ratioText, (Fmt $a.PeakMB 'N1'), (Fmt $a.PwshPeakMB 'N1'), (Fmt $a.ToolPeakMB 'N1'),
                (Fmt $a.CpuSec), (Fmt $a.ServerCpuSec), (Fmt $a.OtherCpuSec), $stored)
        }
        & $L ''
        # The two S3 servers side by side: the same step against RGW and against s3rver.
        $pairs = @(
            @{ Label = 'aws s3 cp file.gz (awscli)'; Rgw = 'runbook.aws'; S3rver = 'runbook.aws.s3rver' }
            @{ Label = 'Backup-ClutterDatabase (Zstd)'; Rgw = 'backup'; S3rver = 'backup.s3rver' }
            @{ Label = 'Restore-ClutterDatabase'; Rgw = 'restore'; S3rver = 'restore.s3rver' }
        ) | Where-Object { (Get-Agg $sc $_.Rgw) -and (Get-Agg $sc $_.S3rver) }
        if ($pairs) {
            & $L "### RGW vs s3rver (scale $sc)"
            & $L ''
            & $L '| Step | RGW s | s3rver s | RGW/s3rver | RGW vs baseline | s3rver vs baseline | RGW peak RSS MB | s3rver peak RSS MB | RGW CPU s | s3rver CPU s |'
            & $L '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
            foreach ($pair in $pairs) {
                $ar = Get-Agg $sc $pair.Rgw; $as = Get-Agg $sc $pair.S3rver
                $ref = switch ($StepInfo[$pair.Rgw].Group) { 'backup' { $producer } 'restore' { $pgr } default { $null } }
                $vs = { param($a) if ($ref -and $pair.Rgw -notlike 'runbook.*') { (Fmt ((Get-JudgedSeconds $a) / $ref.Seconds)) + 'x' } else { '' } }
                & $L ('| {0} | {1} | {2} | {3}x | {4} | {5} | {6} | {7} | {8} | {9} |' -f $pair.Label, (Fmt (Get-JudgedSeconds $ar)), (Fmt (Get-JudgedSeconds $as)),
                    (Fmt ((Get-JudgedSeconds $ar) / (Get-JudgedSeconds $as))), (& $vs $ar), (& $vs $as), (Fmt $ar.PeakMB 'N1'), (Fmt $as.PeakMB 'N1'),
                    (Fmt $ar.S3CpuSec), (Fmt $as.S3CpuSec))
            }
            & $L ''
            & $L 'Seconds: "cmdlet s" for the pwsh steps, the process for awscli. "RGW CPU s" / "s3rver CPU s": the S3 server''s own CPU during the step (RGW: radosgw + ceph-osd + ceph-mon; s3rver: node), without PostgreSQL. Baseline: the producer limit for backups, pg_restore for restores.'
            & $L ''
        }
        $bk = Get-Agg $sc 'backup'; $rb = Get-Agg $sc 'runbook'; $rs = Get-Agg $sc 'restore'; $base = Get-Agg $sc 'baseline'
        if ($bk -and $producer) {
            $v = (Get-JudgedSeconds $bk) / $producer.Seconds
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Backup (RGW) ≤ 1.3x producer limit'; Value = ('{0}x ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $bk)), (Fmt $producer.Seconds), (Fmt ($bk.Seconds / $producer.Seconds))); Met = $v -le 1.3 })
        }
        if ($bk -and $rb) {
            $v = $rb.Seconds / (Get-JudgedSeconds $bk)
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Backup (RGW) ≥ 4x faster than the runbook'; Value = ('{0}x faster ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $bk)), (Fmt $rb.Seconds), (Fmt ($rb.Seconds / $bk.Seconds))); Met = $v -ge 4 })
        } elseif ($bk) {
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Backup ≥ 4x faster than the runbook'; Value = 'unavailable (no awscli)'; Met = $null })
        }
        $enc = Get-Agg $sc 'backup.enc'
        if ($bk -and $enc) {
            $v = (Get-JudgedSeconds $enc) / (Get-JudgedSeconds $bk)
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Encrypted backup ≤ 1.15x unencrypted'; Value = ('{0}x ({1} s vs {2} s; peak RSS {3} MB vs {4} MB)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $enc)), (Fmt (Get-JudgedSeconds $bk)), (Fmt $enc.PeakMB 'N1'), (Fmt $bk.PeakMB 'N1')); Met = $v -le 1.15 })
        }
        if ($rs -and $pgr) {
            $v = (Get-JudgedSeconds $rs) / $pgr.Seconds
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Restore (RGW) ≤ 1.15x pg_restore from file'; Value = ('{0}x ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $rs)), (Fmt $pgr.Seconds), (Fmt ($rs.Seconds / $pgr.Seconds))); Met = $v -le 1.15 })
        }
        $bq = Get-Agg $sc 'backup.s3rver'; $rq = Get-Agg $sc 'restore.s3rver'
        if ($bq -and $producer) {
            $v = (Get-JudgedSeconds $bq) / $producer.Seconds
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Backup (s3rver) ≤ 1.3x producer limit'; Value = ('{0}x ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $bq)), (Fmt $producer.Seconds), (Fmt ($bq.Seconds / $producer.Seconds))); Met = $v -le 1.3 })
        }
        if ($rq -and $pgr) {
            $v = (Get-JudgedSeconds $rq) / $pgr.Seconds
            $targets.Add([pscustomobject]@{ Scale = $sc; Target = 'Restore (s3rver) ≤ 1.15x pg_restore from file'; Value = ('{0}x ({1} s vs {2} s; whole process {3}x)' -f (Fmt $v), (Fmt (Get-JudgedSeconds $rq)), (Fmt $pgr.Seconds), (Fmt ($rq.Seconds / $pgr.Seconds))); Met = $v -le 1.15 })
        }
    }
    if ($Scale.Count -ge 2) {
        $mem = foreach ($sc in $Scale) { $a = Get-Agg $sc 'backup'; $base = Get-Agg $sc 'baseline'; [pscustomobject]@{ Scale = $sc; Peak = $a.PeakMB; Share = $a.PeakMB - $base.PeakMB } }
        $lo = ($mem | Measure-Object Peak -Minimum).Minimum; $hi = ($mem | Measure-Object Peak -Maximum).Maximum
        $slo = ($mem | Measure-Object Share -Minimum).Minimum; $shi = ($mem | Measure-Object Share -Maximum).Maximum
        $detail = ($mem | ForEach-Object { 'scale {0}: {1} MB ({2} MB above the pwsh baseline)' -f $_.Scale, (Fmt $_.Peak 'N1'), (Fmt $_.Share 'N1') }) -join '; '
        $targets.Add([pscustomobject]@{ Scale = ($Scale -join '/'); Target = 'Backup peak RSS the same (±20%) across scales'
            Value = ('{0}x largest/smallest ({1}); above baseline {2}x' -f (Fmt ($hi / $lo)), $detail, $(if ($slo -gt 0) { Fmt ($shi / $slo) } else { 'n/a' })); Met = ($hi / $lo) -le 1.2 })
    } else {
        $targets.Add([pscustomobject]@{ Scale = ($Scale -join '/'); Target = 'Backup peak RSS the same (±20%) across scales'; Value = 'needs two scales (-Scale 1,10)'; Met = $null })
    }
    & $L '## Targets'
    & $L ''
    & $L '| Scale | Target | Measured | Met |'
    & $L '|---|---|---|---|'
    foreach ($t in $targets) { & $L ('| {0} | {1} | {2} | {3} |' -f $t.Scale, $t.Target, $t.Value, $(if ($null -eq $t.Met) { 'n/a' } elseif ($t.Met) { 'yes' } else { '**no**' })) }
    & $L ''
    $noisy = @($Rows | Where-Object { $_.OtherCpuSec -gt [math]::Max(0.5, 0.1 * $_.Seconds) })
    if ($noisy.Count -gt 0 -or $script:NoisyWaits -gt 0) {
        & $L ('**Noise:** {0} measured step(s) ran while other processes used noticeable CPU ({1}). Compare those rows with care, or rerun on a quiet machine.' -f
            $noisy.Count, (($noisy | ForEach-Object { '{0} s{1} r{2}: {3:N1} s' -f $StepInfo[$_.Key].Label.Trim(), $_.Scale, $_.Run, $_.OtherCpuSec }) -join '; '))
        & $L ''
    }
    & $L '## Steps'
    & $L ''
    foreach ($key in $StepInfo.Keys) { if ($StepInfo[$key].Note) { & $L ('- {0}: {1}' -f $StepInfo[$key].Label.Trim(), $StepInfo[$key].Note) } }
    & $L ('- Every pwsh step runs `{0} -NoProfile -NonInteractive` with $ProgressPreference = SilentlyContinue; the module is a private copy of the build.' -f (($script:PwshCmd | ForEach-Object { Split-Path -Leaf $_ }) -join ' '))
    & $L '- Before the timed steps the fixture is VACUUM (FREEZE, ANALYZE)d and dumped once untimed (warm cache).'
    & $L ('- Total bench time {0:N0} s.' -f ((Get-Date) - $started).TotalSeconds)
    $report = $md.ToString()

    $null = New-Item -ItemType Directory -Path $ResultsDir -Force
    $outFile = Join-Path $ResultsDir ("backup-$(Get-Date -Format 'yyyy-MM-dd').md")
    if (Test-Path -LiteralPath $outFile) { $outFile = Join-Path $ResultsDir ("backup-$(Get-Date -Format 'yyyy-MM-dd-HHmm').md") }
    [IO.File]::WriteAllText($outFile, $report)
    # The raw measurements beside it, one object per step and run.
    $Rows | Select-Object Scale, Run, Key, @{ n = 'Step'; e = { $StepInfo[$_.Key].Label.Trim() } }, Seconds, CmdletSeconds, PeakMB, PwshPeakMB, ToolPeakMB,
        CpuSec, ServerCpuSec, S3CpuSec, OtherCpuSec, Bytes | ConvertTo-Json -Depth 3 |
        ForEach-Object { [IO.File]::WriteAllText([IO.Path]::ChangeExtension($outFile, '.json'), $_) }
    Write-Status "report written to $outFile"
    $report
}
