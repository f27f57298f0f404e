# Issue 11's fault matrix, rows 5-8, 10, 11 and 15: faults injected for real (a killed pg_dump, a role without
# SELECT, a stopped pipeline, bytes changed in the stored object, the server refusing a storage class) against
# Ceph RGW and PostgreSQL. Every row checks afterwards that the backup made before the fault is still listed and
# whole. Rows 1-4 (the fault proxy), 9 (full disk), 12-14 (manifests, concurrency, kill -9) have files of their own.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Src = New-TestDatabase -Prefix 'fm' -Files 'clutter-schema.sql'
    # Big: its stored object (uncompressed, ~44 MB) is uploaded in several 8 MiB parts. Huge (~160 MB): a backup
    # of it is still running when the test interrupts it; it is never backed up whole.
    $script:Big = New-TestDatabase -Prefix 'fmbig' -Sql "create table big as select g, md5(g::text) || repeat(md5(random()::text), 16) as t from generate_series(1, 80000) g"
    $script:Tiny = New-TestDatabase -Prefix 'fmtiny' -Sql "create table t (id int primary key, v text); insert into t select g, md5(g::text) from generate_series(1, 5000) g"
    $script:Huge = New-TestDatabase -Prefix 'fmhuge' -Sql "create table huge as select g, md5(g::text) || repeat(md5(random()::text), 16) as t from generate_series(1, 300000) g"
    $script:Bucket = New-TestBucket 'fm'
    $script:Loc = "s3://$Bucket/db"
    $script:Earlier = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $Src) -Destination $Loc -EndpointUrl $S3Endpoint
    $script:EarlierBig = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $Big) -Destination $Loc -EndpointUrl $S3Endpoint -Compression None
    $script:EarlierKeys = @(Get-TestS3Keys $Bucket)

    function Assert-EarlierBackupsIntact {
        # Listed, and every byte still matching its manifest (Test-ClutterBackup reads the whole object).
        foreach ($b in $Earlier, $EarlierBig) {
            (Get-ClutterBackup $Loc -EndpointUrl $S3Endpoint).Location | Should -Contain $b.Location
            $v = Test-ClutterBackup $b.Location -EndpointUrl $S3Endpoint
            $v.Status | Should -Be 'Passed' -Because ($v.Checks | Out-String)
        }
    }

    function Get-Outcome([scriptblock]$Command) {
        # Runs a command, returns its errors (non-terminating and terminating) and all its text.
        $errs = @()
        $text = try { & $Command -ErrorVariable +errs -ErrorAction SilentlyContinue *>&1 | Out-String } catch { $errs += $_; '' }
        [pscustomobject]@{ Errors = @($errs | Where-Object { $_ -is [Management.Automation.ErrorRecord] }); Text = $text + ($errs | Out-String) }
    }

    function Start-InRunspace([scriptblock]$Script, [object[]]$Arguments) {
        $ps = [powershell]::Create()
        $null = $ps.AddScript($Script)
        foreach ($a in @($env:CLUTTERDR_MODULE_PATH) + $Arguments) { $null = $ps.AddArgument($a) }
        [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
    }

    function Start-HugeBackup {
        # A backup of Huge to the bucket in a runspace of this process, returned once it is streaming (the fault comes next).
        $run = Start-InRunspace {
            param($Module, $Url, $Destination, $Endpoint)
            Import-Module $Module
            Backup-ClutterDatabase -ConnectionString $Url -Destination $Destination -EndpointUrl $Endpoint -Compression None
        } @((Get-TestPgUrl $Huge), $Loc, $S3Endpoint)
        Wait-Progress $run 'MB'
        $run
    }

    function Wait-Progress($Run, [string]$Pattern, [int]$Seconds = 60) {
        $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
        while (-not ($Run.PowerShell.Streams.Progress | Where-Object { $_.RecordType -eq 'Processing' -and $_.StatusDescription -match $Pattern }) -and
            -not $Run.Handle.IsCompleted -and [datetime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 20
        }
        $Run.Handle.IsCompleted | Should -BeFalse -Because 'the command must still be running when the fault is injected'
    }

    function Get-ChildProgram([string]$Name) {
        # Processes named $Name whose parent is this pwsh (the runspaces run in this process).
        @(Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | ForEach-Object {
                try {
                    $stat = [IO.File]::ReadAllText("/proc/$($_.Name)/stat")
                    $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
                    $comm = $stat.Substring($stat.IndexOf('(') + 1, $stat.LastIndexOf(')') - $stat.IndexOf('(') - 1)
                    if ($comm -eq $Name -and [int]$fields[1] -eq $PID -and $fields[0] -notin 'Z', 'X') { [int]$_.Name }
                } catch { }
            })
    }

    function Set-StoredObject([string]$Key, [byte[]]$Bytes) {
        $path = "/$Bucket/" + (($Key -split '/' | ForEach-Object { [uri]::EscapeDataString($_) }) -join '/')
        $null = Invoke-TestS3 -Method Put -Path $path -Body $Bytes
    }

    function Get-StoredObject([string]$Key) {
        $path = "/$Bucket/" + (($Key -split '/' | ForEach-Object { [uri]::EscapeDataString($_) }) -join '/')
        $r = Invoke-TestS3 -Path $path
        $ms = [IO.MemoryStream]::new(); $r.RawContentStream.CopyTo($ms); $ms.ToArray()
    }

    function Assert-DamageRefused($Backup, [string]$ErrorId) {
        # Test-ClutterBackup and a -Clean restore both refuse the damaged object with ErrorId; the target is as it was.
        $t = Get-Outcome { Test-ClutterBackup $Backup.Location -EndpointUrl $S3Endpoint }
        ($t.Text + ($t.Errors | ForEach-Object FullyQualifiedErrorId)) | Should -Match $ErrorId
        $t.Text | Should -Not -Match 'failed unexpectedly'
        $target = New-TestDatabase -Prefix 'fmdmg' -Sql 'create table keepme (id int); insert into keepme values (1)'
        $before = Get-TestTableHashes $target
        $r = Get-Outcome { Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $target) -EndpointUrl $S3Endpoint -Clean -Confirm:$false }
        $r.Errors.Count | Should -BeGreaterThan 0
        $r.Errors[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId*" -Because $r.Text
        $r.Text | Should -Not -Match 'failed unexpectedly'
        Get-TestTableHashes $target | ConvertTo-Json | Should -Be ($before | ConvertTo-Json)
        Assert-EarlierBackupsIntact
    }

    function Get-KeyOf($Backup) { $Backup.Location.Substring("s3://$Bucket/".Length) }
}

Describe 'Fault matrix (Ceph RGW)' {
    It 'row 5: pg_dump killed mid-stream is PgDumpFailed with its exit, no manifest, the upload aborted' {
        $run = Start-HugeBackup
        $dumps = @(Get-ChildProgram 'pg_dump')
        $dumps.Count | Should -Be 1
        $null = & kill -9 $dumps[0]
        $failure = $null
        try { $null = $run.PowerShell.EndInvoke($run.Handle) } catch { $failure = $_ }
        $errs = @($run.PowerShell.Streams.Error) + @($failure | Where-Object { $_ } | ForEach-Object { $_.Exception.InnerException.ErrorRecord ?? $_ })
        $run.PowerShell.Dispose()
        Get-TestS3Uploads $Bucket | Should -BeNullOrEmpty -Because 'the upload is aborted'
        Get-TestS3Keys $Bucket | Should -Be $EarlierKeys -Because 'no manifest and no data object is left'
        $errs.Count | Should -Be 1 -Because ($errs | Out-String)
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PgDumpFailed*'
        $errs[0].Exception.Message | Should -Match 'signal 9'
        ($errs | Out-String) | Should -Not -Match 'failed unexpectedly'
        Assert-EarlierBackupsIntact
    }

    It 'row 6: a table the role cannot read is PermissionDenied naming it, and nothing is written' {
        $role = "fm_reader_$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        Invoke-TestPsql -Database $Src -Command "create role $role login password 'fm-reader-pw'; grant usage on schema public to $role; grant select on all tables in schema public to $role; grant select on all sequences in schema public to $role; revoke select on public.reminders from $role" | Out-Null
        try {
            $url = "postgresql://${role}:fm-reader-pw@$($env:CLUTTERDR_TEST_PG_HOST):$($env:CLUTTERDR_TEST_PG_PORT)/$Src"
            $o = Get-Outcome { Backup-ClutterDatabase -ConnectionString $url -Destination $Loc -EndpointUrl $S3Endpoint }
            $o.Errors.Count | Should -Be 1 -Because $o.Text
            $o.Errors[0].FullyQualifiedErrorId | Should -BeLike 'PermissionDenied*'
            $o.Errors[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            $o.Errors[0].Exception.Message | Should -Match 'reminders'
            $o.Text | Should -Not -Match 'failed unexpectedly'
        } finally {
            Invoke-TestPsql -Database $Src -Command "drop owned by $role; drop role $role" | Out-Null
        }
        Get-TestS3Keys $Bucket | Should -Be $EarlierKeys
        Get-TestS3Uploads $Bucket | Should -BeNullOrEmpty
        Assert-EarlierBackupsIntact
    }

    It 'row 7: Ctrl+C during a backup stops within 5 s, pg_dump gone, the upload aborted, no manifest' {
        $run = Start-HugeBackup
        @(Get-ChildProgram 'pg_dump').Count | Should -Be 1
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $run.PowerShell.Stop()   # what Ctrl+C does to a running pipeline
        $sw.Stop()
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 5
        $run.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
        $run.PowerShell.Dispose()
        Get-ChildProgram 'pg_dump' | Should -BeNullOrEmpty
        Get-TestS3Keys $Bucket | Should -Be $EarlierKeys
        Get-TestS3Uploads $Bucket | Should -BeNullOrEmpty
        Assert-EarlierBackupsIntact
    }

    It 'row 8: Ctrl+C during a restore leaves the target database as it was' {
        $target = New-TestDatabase -Prefix 'fmt' -Sql "create table keepme (id int primary key, v text); insert into keepme select g, 'v' || g from generate_series(1, 500) g"
        $before = Get-TestTableHashes $target
        $run = Start-InRunspace {
            param($Module, $Location, $Url, $Endpoint)
            Import-Module $Module
            Restore-ClutterDatabase -Location $Location -TargetConnectionString $Url -EndpointUrl $Endpoint -Clean -Confirm:$false
        } @($EarlierBig.Location, (Get-TestPgUrl $target), $S3Endpoint)
        Wait-Progress $run 'MB'
        $run.PowerShell.Stop()
        $run.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
        $run.PowerShell.Dispose()
        Get-ChildProgram 'pg_restore' | Should -BeNullOrEmpty
        $deadline = [datetime]::UtcNow.AddSeconds(10)
        while ((Invoke-TestPsql -Command "select count(*) from pg_stat_activity where datname = '$target' and application_name <> 'psql'") -ne 0 -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Get-TestTableHashes $target | ConvertTo-Json | Should -Be ($before | ConvertTo-Json)
        Assert-EarlierBackupsIntact
    }

    It 'row 10: one flipped byte in the stored object is ChecksumMismatch in Test and Restore, target unchanged' {
        $b = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $Tiny) -Destination $Loc -EndpointUrl $S3Endpoint
        $key = Get-KeyOf $b
        $bytes = Get-StoredObject $key
        $bytes[[int]($bytes.Length / 2)] = $bytes[[int]($bytes.Length / 2)] -bxor 0x01
        Set-StoredObject $key $bytes

        Assert-DamageRefused $b 'ChecksumMismatch'
    }

    It 'row 11: a truncated stored object (<Size>) is BackupTruncated in Test and Restore, target unchanged' -ForEach @(
        @{ Size = 'small'; Database = 'Tiny' }
        @{ Size = 'several parts'; Database = 'Big' }
    ) {
        $db = Get-Variable -Name $Database -ValueOnly
        $b = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $db) -Destination $Loc -EndpointUrl $S3Endpoint -Compression None
        $key = Get-KeyOf $b
        $bytes = Get-StoredObject $key
        $cut = [byte[]]::new([int]($bytes.Length * 0.6))
        [Array]::Copy($bytes, $cut, $cut.Length)
        Set-StoredObject $key $cut

        Assert-DamageRefused $b 'BackupTruncated'
    }

    It 'row 15: a storage class the server refuses is one StorageClassRejected, and nothing is left (also no upload)' {
        foreach ($db in $Src, $Big) {
            $o = Get-Outcome { Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $db) -Destination $Loc -EndpointUrl $S3Endpoint -StorageClass EXPRESS_ONEZONE -Compression None }
            $o.Errors.Count | Should -Be 1 -Because $o.Text
            $o.Errors[0].FullyQualifiedErrorId | Should -BeLike 'StorageClassRejected*'
        }
        Get-TestS3Uploads $Bucket | Should -BeNullOrEmpty
        Assert-EarlierBackupsIntact
    }

    It 'the backups made before every fault still restore, with their row counts' {
        $target = New-TestDatabase -Prefix 'fmend'
        $r = Restore-ClutterDatabase -Location $Earlier.Location -TargetConnectionString (Get-TestPgUrl $target) -EndpointUrl $S3Endpoint -Confirm:$false
        $r.Verified | Should -BeTrue
        Get-TestTableHashes $target | ConvertTo-Json | Should -Be (Get-TestTableHashes $Src | ConvertTo-Json)
    }
}
