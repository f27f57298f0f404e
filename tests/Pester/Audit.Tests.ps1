# The audit trail as users see it: Initialize-ClutterAuditLog on the real PostgreSQL server (a fresh table, and the
# runbook's table upgraded in place), one row per backup, restore and sync run given -AuditConnectionString (success
# and failure of each), an audit database that is down (a warning, the backup kept), and Get-ClutterAuditLog's filters.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Root = New-TestFolder
    $script:Db = New-TestDatabase -Prefix 'aud' -Sql 'create table items (id int primary key, name text); insert into items select g, md5(g::text) from generate_series(1, 200) g'
    $script:AuditDb = New-TestDatabase -Prefix 'audlog'
    $script:AuditUrl = Get-TestPgUrl $AuditDb
    $script:Url = Get-TestPgUrl $Db
    Initialize-ClutterAuditLog -ConnectionString $AuditUrl
    function Get-Rows { Get-ClutterAuditLog -ConnectionString $AuditUrl @args }
    # A port on 127.0.0.1 that nothing listens on.
    $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $script:ClosedPort = $l.LocalEndpoint.Port; $l.Stop()
}

Describe 'Initialize-ClutterAuditLog' {
    It 'creates the table with the runbook''s columns and ClutterDR''s, and is idempotent' {
        Initialize-ClutterAuditLog -ConnectionString $AuditUrl
        $cols = Invoke-TestPsql -Database $AuditDb -Command "select column_name from information_schema.columns where table_name = 'backup_audit_log' order by ordinal_position"
        $cols | Should -Be @('id', 'backup_type', 'backup_location', 'backup_size', 'status', 'created_at', 'created_by',
            'finished_at', 'duration', 'database_name', 'sha256', 'error_id', 'error_message', 'host', 'tool_version', 'plan', 'job')
    }

    It 'upgrades a table of the runbook''s exact shape in place, keeping its rows' {
        $old = New-TestDatabase -Prefix 'audold' -Sql @'
CREATE TABLE backup_audit_log (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  backup_type VARCHAR(50) NOT NULL,
  backup_location TEXT NOT NULL,
  backup_size BIGINT,
  status VARCHAR(20) NOT NULL,
  created_at TIMESTAMP DEFAULT NOW(),
  created_by VARCHAR(255)
);
INSERT INTO backup_audit_log (backup_type, backup_location, backup_size, status, created_by)
VALUES ('full_database', 's3://clutter-ai-backups/database/db_20240122.dump.gz', 524288000, 'success', 'cron');
'@
        $verbose = Initialize-ClutterAuditLog -ConnectionString (Get-TestPgUrl $old) -Verbose 4>&1
        ($verbose | Out-String) | Should -Match 'added finished_at'
        $rows = @(Get-ClutterAuditLog -ConnectionString (Get-TestPgUrl $old))
        $rows.Count | Should -Be 1
        $rows[0].Type | Should -Be 'full_database'
        $rows[0].SizeBytes | Should -Be 524288000
        $rows[0].CreatedBy | Should -Be 'cron'
        $rows[0].ErrorId | Should -BeNullOrEmpty
        # and the upgraded table takes ClutterDR's rows
        $null = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Root 'old') -AuditConnectionString (Get-TestPgUrl $old)
        @(Get-ClutterAuditLog -ConnectionString (Get-TestPgUrl $old) -Type database -Status success).Count | Should -Be 1
    }

    It 'refuses a table of that name that is not the runbook''s, changing nothing' {
        $other = New-TestDatabase -Prefix 'audbad' -Sql 'create table backup_audit_log (id int, note text)'
        { Initialize-ClutterAuditLog -ConnectionString (Get-TestPgUrl $other) -ErrorAction Stop } | Should -Throw -ErrorId 'AuditTableIncompatible,*'
        Invoke-TestPsql -Database $other -Command "select count(*) from information_schema.columns where table_name = 'backup_audit_log'" | Should -Be 2
    }

    It 'Get-ClutterAuditLog on a database without the table says to initialize it' {
        { Get-ClutterAuditLog -ConnectionString (Get-TestPgUrl $Db) -ErrorAction Stop } | Should -Throw -ErrorId 'AuditLogNotFound,*'
    }
}

Describe 'One row per run' {
    It 'a backup: running, then success with its location, size, database and SHA-256' {
        $before = [datetime]::UtcNow.AddSeconds(-2)
        $env:CLUTTERDR_PLAN = 'nightly.psd1'; $env:CLUTTERDR_JOB = 'daily-db'
        try { $info = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Root 'ok') -AuditConnectionString $AuditUrl }
        finally { Remove-Item Env:CLUTTERDR_PLAN, Env:CLUTTERDR_JOB }
        $row = @(Get-Rows -Database $Db -Type database -Since $before)[-1]
        $row.Status | Should -Be 'success'
        $row.Location | Should -Be $info.Location
        $row.SizeBytes | Should -Be $info.SizeBytes
        $row.Sha256 | Should -Be $info.Sha256
        $row.Plan | Should -Be 'nightly.psd1'
        $row.Job | Should -Be 'daily-db'
        $row.Host | Should -Be ([Environment]::MachineName)
        $row.ToolVersion | Should -Match '^ClutterDR \d'
        $row.FinishedAt | Should -BeGreaterOrEqual $row.CreatedAt
        $row.Duration | Should -BeOfType [timespan]
    }

    It 'a failed backup: failed, with its ErrorId and a message without the password' {
        $bad = Get-TestPgUrl 'no_such_db_aud' -Password $env:CLUTTERDR_TEST_PG_PASSWORD
        $null = Backup-ClutterDatabase -ConnectionString $bad -Destination (Join-Path $Root 'bad') -AuditConnectionString $AuditUrl -ErrorAction SilentlyContinue -ErrorVariable err
        $err | Should -Not -BeNullOrEmpty
        $row = @(Get-Rows -Database 'no_such_db_aud')[-1]
        $row.Status | Should -Be 'failed'
        $row.ErrorId | Should -Be 'DatabaseNotFound'
        $row.ErrorMessage | Should -Not -BeNullOrEmpty
        $row.ErrorMessage | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
        $row.Location | Should -Be (Join-Path $Root 'bad')
    }

    It 'a restore: success, then failed for a backup that does not exist' {
        $backup = Get-ClutterBackup (Join-Path $Root 'ok') -Latest
        $target = "audr_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $null = $backup | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -Confirm:$false -AuditConnectionString $AuditUrl
        $ok = @(Get-Rows -Type restore -Database $target)
        $ok.Count | Should -Be 1
        $ok[0].Status | Should -Be 'success'
        $ok[0].Location | Should -Be $backup.Location
        $missing = Join-Path $Root 'nothing' 'x_20260101T000000Z.dump.zst'
        $null = Restore-ClutterDatabase -Location $missing -TargetConnectionString (Get-TestPgUrl "${target}_2") -CreateDatabase -Confirm:$false -AuditConnectionString $AuditUrl -ErrorAction SilentlyContinue
        $failed = @(Get-Rows -Type restore -Database "${target}_2")
        $failed.Count | Should -Be 1
        $failed[0].Status | Should -Be 'failed'
        $failed[0].ErrorId | Should -Not -BeNullOrEmpty
    }

    It 'a sync: success with bytes, then failed for a missing bucket' {
        $src = Join-Path $Root 'ok'
        $dest = Join-Path $Root 'synced'
        $s = Sync-ClutterStorage $src $dest -AuditConnectionString $AuditUrl
        $row = @(Get-Rows -Type sync -Status success)[-1]
        $row.Location | Should -Be $s.Destination
        $row.SizeBytes | Should -Be $s.Bytes
        { Sync-ClutterStorage $src 's3://no-such-bucket-aud/x' -DestinationEndpointUrl $S3Endpoint -AuditConnectionString $AuditUrl -ErrorAction Stop } | Should -Throw
        $failed = @(Get-Rows -Type sync -Status failed)[-1]
        $failed.Location | Should -Be 's3://no-such-bucket-aud/x'
        $failed.ErrorId | Should -Be 'DestinationNotFound'
    }

    It 'an audit database that is down is a warning: the backup is kept and the call succeeds' {
        $down = "postgresql://postgres:pw-never-shown-7Q@127.0.0.1:$ClosedPort/audit"
        $info = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Root 'down') -AuditConnectionString $down -WarningVariable warn -WarningAction SilentlyContinue -ErrorVariable err
        $err | Should -BeNullOrEmpty
        $info.Location | Should -Exist
        ($warn | Out-String) | Should -Match 'audit row'
        ($warn | Out-String) | Should -Not -Match 'pw-never-shown'
    }

    It 'CLUTTERDR_AUDIT_CONNECTION_STRING audits a call without the parameter' {
        $env:CLUTTERDR_AUDIT_CONNECTION_STRING = $AuditUrl
        try { $info = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Root 'env') }
        finally { Remove-Item Env:CLUTTERDR_AUDIT_CONNECTION_STRING }
        @(Get-Rows -Status success | Where-Object Location -eq $info.Location).Count | Should -Be 1
    }

    It 'Get-ClutterAuditLog -Last gives the newest rows, oldest first, with a table view' {
        $all = @(Get-Rows)
        $last = @(Get-Rows -Last 2)
        $last.Count | Should -Be 2
        $last[1].Id | Should -Be $all[-1].Id
        $last[0].Id | Should -Be $all[-2].Id
        ($last | Format-Table | Out-String) | Should -Match 'CreatedAt\s+Type\s+Status'
        @(Get-Rows -Status running).Count | Should -Be 0
    }
}

Describe 'One row per run of the other audited cmdlets (retention, drill, configuration restore, storage snapshots)' {
    BeforeAll {
        $script:Missing = Join-Path $Root 'no-such-place'
        function Get-Row([string]$Type, [string]$Status) { @(Get-Rows -Type $Type -Status $Status)[-1] }
    }

    It 'Remove-ClutterBackup: success, then failed for a location that does not exist' {
        $folder = Join-Path $Root 'ret'
        1..2 | ForEach-Object { $null = Backup-ClutterDatabase -ConnectionString $Url -Destination $folder }
        $null = Remove-ClutterBackup $folder -KeepLast 1 -Confirm:$false -AuditConnectionString $AuditUrl
        (Get-Row retention success).Location | Should -Be $folder
        $null = Remove-ClutterBackup $Missing -KeepLast 1 -Confirm:$false -AuditConnectionString $AuditUrl -ErrorAction SilentlyContinue -ErrorVariable err
        $err | Should -Not -BeNullOrEmpty
        $row = Get-Row retention failed
        $row.Location | Should -Be $Missing
        $row.ErrorId | Should -Be ($err[0].FullyQualifiedErrorId -split ',')[0]
    }

    It 'Test-ClutterRestore: success with the drilled backup, then failed' {
        $drill = Test-ClutterRestore (Join-Path $Root 'ok') -ConnectionString (Get-TestPgUrl) -AllowSourceServer -NoIntegrityCheck -AuditConnectionString $AuditUrl
        $drill.Status | Should -Be 'Passed'
        (Get-Row drill success).Location | Should -Be (Join-Path $Root 'ok')
        $null = Test-ClutterRestore $Missing -ConnectionString (Get-TestPgUrl) -AllowSourceServer -AuditConnectionString $AuditUrl -ErrorAction SilentlyContinue -ErrorVariable err
        $err | Should -Not -BeNullOrEmpty
        $row = Get-Row drill failed
        $row.ErrorId | Should -Be ($err[0].FullyQualifiedErrorId -split ',')[0]
        $row.ErrorMessage | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
    }

    It 'Restore-ClutterConfiguration: success, then failed for a backup that does not exist' {
        $file = Join-Path $Root 'app.conf'; Set-Content -LiteralPath $file -Value 'mode=prod'
        $info = Backup-ClutterConfiguration -Destination (Join-Path $Root 'cfg') -Path $file
        $out = Join-Path $Root 'cfg-out'
        $null = $info | Restore-ClutterConfiguration -Destination $out -AuditConnectionString $AuditUrl
        (Get-Row config_restore success).Location | Should -Be $out
        $null = Restore-ClutterConfiguration (Join-Path $Missing 'x_20260101T000000Z.config.tar') -Destination $out -AuditConnectionString $AuditUrl -ErrorAction SilentlyContinue -ErrorVariable err
        $err | Should -Not -BeNullOrEmpty
        (Get-Row config_restore failed).ErrorId | Should -Be ($err[0].FullyQualifiedErrorId -split ',')[0]
    }

    It 'Backup-ClutterStorage and Restore-ClutterStorage: success, then failed for a source that does not exist' {
        $src = Join-Path $Root 'media'; $null = New-Item -ItemType Directory $src; Set-Content -LiteralPath (Join-Path $src 'a.txt') -Value 'a'
        $snaps = Join-Path $Root 'snaps'
        $snap = Backup-ClutterStorage $src $snaps -AuditConnectionString $AuditUrl
        (Get-Row storage success).Location | Should -Be $snaps
        $err = @(try { $null = Backup-ClutterStorage $Missing $snaps -AuditConnectionString $AuditUrl -ErrorAction Stop } catch { $_ })
        $err | Should -Not -BeNullOrEmpty
        (Get-Row storage failed).ErrorId | Should -Be ($err[0].FullyQualifiedErrorId -split ',')[0]

        $back = Join-Path $Root 'media-back'
        $null = $snap | Restore-ClutterStorage -Destination $back -Confirm:$false -AuditConnectionString $AuditUrl
        Get-Content (Join-Path $back 'a.txt') | Should -Be 'a'
        (Get-Row storage_restore success).Location | Should -Be $back
        $err = @(try { $null = Restore-ClutterStorage $Missing $back -Confirm:$false -AuditConnectionString $AuditUrl -ErrorAction Stop } catch { $_ })
        $err | Should -Not -BeNullOrEmpty
        (Get-Row storage_restore failed).ErrorId | Should -Be ($err[0].FullyQualifiedErrorId -split ',')[0]
        @(Get-Rows -Status running).Count | Should -Be 0
    }
}
