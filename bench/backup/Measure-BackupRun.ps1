# One run of every step at one scale (dot-sourced by bench/backup.ps1): the baselines, the seed runbook, the
# Backup-ClutterDatabase rows (RGW, encrypted, two copies, s3rver), the -Diagnose rows and the restores, each through
# Invoke-Timed / Invoke-ChildBackup / Invoke-ChildRestore into Add-Row. Uses bench/backup.ps1's script variables
# ($PgDump, $PgRestore, $zstdAvailable, $databases, $Bucket, $RunId, $Diagnose, $script:*).
# $sc untyped: it is an item of bench/backup.ps1's -Scale, a [string[]] parameter, and keys $script:RawBytes as such.
function Measure-BackupRun($sc, [int]$run, [string]$db, [string[]]$tables) {
        Write-Status "scale $sc, run $run of $Runs"
        $prefix = "$RunId/s$sc-r$run"
        $conn = @('-h', $script:PgHost, '-p', $script:PgPort, '-U', $script:PgUser)

        $t = Invoke-Timed -Command ($script:PwshCmd + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$($script:ModuleManifest)'"))
        Add-Row $sc $run 'baseline' $t

        $t = Invoke-Timed -Command (@($PgDump, '-Fc', '-Z0') + $conn + @($db))
        Add-Row $sc $run 'producer' $t

        # The seed runbook.
        $dumpFile = Join-Path $WorkDir "runbook-s$sc.dump"
        Remove-Item -LiteralPath $dumpFile, "$dumpFile.gz" -Force -ErrorAction SilentlyContinue
        $t1 = Invoke-Timed -Command (@($PgDump, '-Fc', '-f', $dumpFile) + $conn + @($db))
        Add-Row $sc $run 'runbook.dump' $t1 -Bytes (Get-Item -LiteralPath $dumpFile).Length
        $t2 = Invoke-Timed -Command @('gzip', '-k', '-f', $dumpFile)
        Add-Row $sc $run 'runbook.gzip' $t2 -Bytes (Get-Item -LiteralPath "$dumpFile.gz").Length
        if ($script:Aws) {
            $t3 = Invoke-Timed -Command @($script:Aws, 's3', 'cp', "$dumpFile.gz", "s3://$Bucket/$prefix/runbook/", '--endpoint-url', $script:S3Endpoint,
                '--no-progress', '--only-show-errors') -S3 RGW
            Add-Row $sc $run 'runbook.aws' $t3
            Add-SumRow $sc $run 'runbook' @($t1, $t2, $t3) -Bytes (Get-Item -LiteralPath "$dumpFile.gz").Length
            if ($script:S3Servers.Contains('s3rver')) {
                $t = Invoke-Timed -Command @($script:Aws, 's3', 'cp', "$dumpFile.gz", "s3://$Bucket/$prefix/runbook/", '--endpoint-url', $script:S3Servers['s3rver'].Endpoint,
                    '--no-progress', '--only-show-errors') -Environment (Get-S3Environment 's3rver') -S3 s3rver
                Add-Row $sc $run 'runbook.aws.s3rver' $t
            }
        }
        Remove-Item -LiteralPath "$dumpFile.gz" -Force -ErrorAction SilentlyContinue

        # Backup-ClutterDatabase to S3.
        $b = Invoke-ChildBackup -Database $db -Destination "s3://$Bucket/$prefix/clutterdr" -S3 RGW
        Add-Row $sc $run 'backup' $b.Timed -CmdletSeconds $b.Result.CmdletSeconds -ToolPeakMB $(if ($b.Tool) { $b.Tool.PeakMB } else { [double]::NaN }) `
            -PwshPeakMB $b.Result.PwshPeakMB -Bytes $b.Result.SizeBytes
        $script:RawBytes[$sc] = [long]$b.Result.RawSizeBytes
        $backupLocation = $b.Result.Location

        # The same, encrypted (issue: at most 15% more wall time, memory flat).
        if ($script:RecipientKey) {
            $e = Invoke-ChildBackup -Database $db -Destination "s3://$Bucket/$prefix/clutterdr-enc" -S3 RGW -Recipient $script:RecipientKey
            Add-Row $sc $run 'backup.enc' $e.Timed -CmdletSeconds $e.Result.CmdletSeconds -ToolPeakMB $(if ($e.Tool) { $e.Tool.PeakMB } else { [double]::NaN }) `
                -PwshPeakMB $e.Result.PwshPeakMB -Bytes $e.Result.SizeBytes
        }

        # Two copies from one dump: to RGW and to a folder on this machine.
        $copiesFolder = Join-Path (Join-Path $WorkDir 'copies') "$sc-$run"
        $k = Invoke-ChildBackup -Database $db -Destination "s3://$Bucket/$prefix/clutterdr-copies|$copiesFolder" -S3 RGW
        Add-Row $sc $run 'backup.copies' $k.Timed -CmdletSeconds $k.Result.CmdletSeconds -ToolPeakMB $(if ($k.Tool) { $k.Tool.PeakMB } else { [double]::NaN }) `
            -PwshPeakMB $k.Result.PwshPeakMB -Bytes $k.Result.SizeBytes
        Remove-Item -LiteralPath $copiesFolder -Recurse -Force -ErrorAction SilentlyContinue
        Remove-S3Prefix "$prefix/clutterdr-copies/"

        # The same backup to s3rver, for the servers' overheads side by side.
        $s3rverLocation = $null
        if ($script:S3Servers.Contains('s3rver')) {
            $q = Invoke-ChildBackup -Database $db -Destination "s3://$Bucket/$prefix/clutterdr" -S3 s3rver
            Add-Row $sc $run 'backup.s3rver' $q.Timed -CmdletSeconds $q.Result.CmdletSeconds -ToolPeakMB $(if ($q.Tool) { $q.Tool.PeakMB } else { [double]::NaN }) `
                -PwshPeakMB $q.Result.PwshPeakMB -Bytes $q.Result.SizeBytes
            $s3rverLocation = $q.Result.Location
        }

        if ($Diagnose) {
            $pipe = (@($PgDump, '-Fc', '-Z0') + $conn + @($db) | ForEach-Object { ConvertTo-ShArg $_ }) -join ' '
            $t = Invoke-Timed -ShellLine "$pipe | cat"
            Add-Row $sc $run 'diag.catpipe' $t
            if ($zstdAvailable) {
                $t = Invoke-Timed -Command @() -ShellLine "$pipe | zstd -3 -q -c"
                Add-Row $sc $run 'diag.zstdpipe' $t
                if ($script:Aws) {
                    $t = Invoke-Timed -Command @() -ShellLine ("$pipe | zstd -3 -q -c | $(ConvertTo-ShArg $script:Aws) s3 cp - " +
                        (ConvertTo-ShArg "s3://$Bucket/$prefix/pipe/$db.dump.zst") + " --endpoint-url $(ConvertTo-ShArg $script:S3Endpoint) --only-show-errors") -S3 RGW
                    Add-Row $sc $run 'diag.awspipe' $t
                    $t = Invoke-Timed -ShellLine ("$pipe | zstd -1 -q -c | $(ConvertTo-ShArg $script:Aws) s3 cp - " +
                        (ConvertTo-ShArg "s3://$Bucket/$prefix/pipe1/$db.dump.zst") + " --endpoint-url $(ConvertTo-ShArg $script:S3Endpoint) --only-show-errors") -S3 RGW
                    Add-Row $sc $run 'diag.awspipe1' $t
                }
            }
            foreach ($v in @(
                    @{ Key = 'diag.zstd1.s3'; Compression = 'Zstd'; Level = 1; S3 = $true }
                    @{ Key = 'diag.none.s3'; Compression = 'None'; S3 = $true }
                    @{ Key = 'diag.zstd.folder'; Compression = 'Zstd'; S3 = $false }
                    @{ Key = 'diag.none.folder'; Compression = 'None'; S3 = $false })) {
                $dest = if ($v.S3) { "s3://$Bucket/$prefix/$($v.Key)" } else { Join-Path (Join-Path $WorkDir 'folder') $v.Key }
                $d = Invoke-ChildBackup -Database $db -Destination $dest -Compression $v.Compression -Level $(if ($v.ContainsKey('Level')) { $v.Level } else { 0 }) -S3 $(if ($v.S3) { 'RGW' } else { '' })
                Add-Row $sc $run $v.Key $d.Timed -CmdletSeconds $d.Result.CmdletSeconds -ToolPeakMB $(if ($d.Tool) { $d.Tool.PeakMB } else { [double]::NaN }) `
                    -PwshPeakMB $d.Result.PwshPeakMB -Bytes $d.Result.SizeBytes
                if ($v.S3) { Remove-S3Prefix "$prefix/$($v.Key)/" } else { Remove-Item -LiteralPath $dest -Recurse -Force -ErrorAction SilentlyContinue }
            }
            $countSql = ($tables | ForEach-Object { "select count(*) from only $_;" }) -join ' '
            $t = Invoke-Timed -Command (@($script:Psql, '-X', '-q', '-t', '-A') + $conn + @('-d', $db, '-c', $countSql))
            Add-Row $sc $run 'diag.counts' $t
        }

        # Restores.
        $target = "clutterdr_bench_s${sc}_pgr$run"
        Remove-Database $target
        Invoke-Psql -Sql "create database $target" | Out-Null
        $databases.Add($target)
        $t = Invoke-Timed -Command (@($PgRestore) + $conn + @('-d', $target, $dumpFile))
        Add-Row $sc $run 'pgrestore' $t
        Remove-Database $target

        if ($Diagnose) {
            Invoke-Psql -Sql "create database $target" | Out-Null
            $t = Invoke-Timed -Command (@($PgRestore, '--single-transaction', '--exit-on-error') + $conn + @('-d', $target, $dumpFile))
            Add-Row $sc $run 'diag.pgrestore.1tx' $t
            Remove-Database $target
        }

        $target = "clutterdr_bench_s${sc}_cdr$run"
        Remove-Database $target
        $databases.Add($target)
        $r = Invoke-ChildRestore -Location $backupLocation -Target $target -S3 RGW
        if (-not $r.Result.Verified) { Write-Warning "Restore-ClutterDatabase into $target did not verify." }
        Add-Row $sc $run 'restore' $r.Timed -CmdletSeconds $r.Result.CmdletSeconds -ToolPeakMB $(if ($r.Tool) { $r.Tool.PeakMB } else { [double]::NaN }) `
            -PwshPeakMB $r.Result.PwshPeakMB
        Remove-Database $target

        if ($s3rverLocation) {
            $r = Invoke-ChildRestore -Location $s3rverLocation -Target $target -S3 s3rver
            if (-not $r.Result.Verified) { Write-Warning "Restore-ClutterDatabase into $target (from s3rver) did not verify." }
            Add-Row $sc $run 'restore.s3rver' $r.Timed -CmdletSeconds $r.Result.CmdletSeconds -ToolPeakMB $(if ($r.Tool) { $r.Tool.PeakMB } else { [double]::NaN }) `
                -PwshPeakMB $r.Result.PwshPeakMB
            Remove-Database $target
        }

        Remove-S3Prefix "$prefix/"
        Remove-S3Prefix "$prefix/" -Server s3rver
        Remove-Item -LiteralPath $dumpFile -Force -ErrorAction SilentlyContinue
}
