# Restoring some tables never damages a schema: whole tables come back with their keys, indexes, triggers and
# policies; -DataOnly reloads rows into the tables that are there; and VERIFIED means rows and definitions match.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:SourceDb = New-TestDatabase -Prefix 'tbl' -Files 'clutter-schema.sql' -Sql @"
alter table reminders enable row level security;
create policy own_reminders on reminders using (user_id is not null);
create function touch_reminder() returns trigger language plpgsql as `$`$begin return new; end`$`$;
create trigger reminders_touch before update on reminders for each row execute function touch_reminder();
create index reminders_remind_at on reminders (remind_at);
"@
    $script:Folder = New-TestFolder
    $script:Backup = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $SourceDb) -Destination $Folder
    $script:Counts = @{}; foreach ($t in $Backup.Tables) { $Counts[$t.Name] = $t.Rows }

    function Get-HashText([string]$Database) { Get-TestTableHashes $Database | ConvertTo-Json }

    # A copy of the source to restore into, as a DBA would: the database is there, one table went wrong.
    function New-Copy {
        $db = "tblc_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $null = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -CreateDatabase -Confirm:$false
        $db
    }
}

AfterAll {
    Remove-Item -Recurse -Force $Folder -ErrorAction SilentlyContinue
}

Describe 'The manifest records each table''s definition' {
    It 'holds a fingerprint per table, and a whole-database restore verifies it' {
        $Backup.Tables.Definition | Should -Not -Contain $null
        $Backup.Tables.Definition | ForEach-Object { $_ | Should -Match '^sha256:[0-9a-f]{64}$' }
        $db = New-Copy
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Clean -Confirm:$false
        $r.Verified | Should -BeTrue
        $r.Tables.DefinitionMatches | Should -Not -Contain $false
        $r.Tables.DefinitionMatches | Should -Not -Contain $null
    }
}

Describe 'Restore-ClutterDatabase -Table (whole tables)' {
    It 'README: replaces one table with -Clean, keys, indexes and foreign keys included, and leaves the schema as it was' {
        $db = New-Copy
        $before = Get-TestSchemaDump $db
        Invoke-TestPsql -Database $db -Command 'delete from reminders; delete from dumps where kind = ''link''' | Out-Null
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table dumps -Clean -Confirm:$false
        $r.Scope | Should -Be 'Tables'
        $r.Tables.Name | Should -Be 'dumps'
        $r.Verified | Should -BeTrue
        $r.Tables[0].DefinitionMatches | Should -BeTrue
        Invoke-TestPsql -Database $db -Command 'select count(*) from dumps' | Should -Be $Counts['dumps']
        # The whole schema, the untouched tables and the foreign key of reminders to dumps included, is as before.
        Get-TestSchemaDump $db | Should -Be $before
        Invoke-TestPsql -Database $db -Command "select count(*) from pg_constraint where conname in ('dumps_pkey', 'dumps_user_id_fkey', 'reminders_dump_id_fkey')" | Should -Be 3
    }

    It 'restores a table with its trigger, policy and row security into a database that lacks it' {
        $db = New-Copy
        Invoke-TestPsql -Database $db -Command 'drop table reminders' | Out-Null
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table public.reminders -Confirm:$false
        $r.Verified | Should -BeTrue
        Invoke-TestPsql -Database $db -Command "select relrowsecurity from pg_class where relname = 'reminders'" | Should -Be 't'
        Invoke-TestPsql -Database $db -Command "select count(*) from pg_policy where polname = 'own_reminders'" | Should -Be 1
        Invoke-TestPsql -Database $db -Command "select count(*) from pg_trigger where tgname = 'reminders_touch'" | Should -Be 1
        Invoke-TestPsql -Database $db -Command "select count(*) from pg_indexes where indexname in ('reminders_pkey', 'reminders_remind_at')" | Should -Be 2
        # Its sequence continues after the restored rows.
        Invoke-TestPsql -Database $db -Command "select nextval('reminders_id_seq') > (select max(id) from reminders)" | Should -Be 't'
    }

    It 'README: restores one table into a new database, complete' {
        $db = "tbln_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table users -CreateDatabase -Confirm:$false
        $r.Verified | Should -BeTrue
        Invoke-TestPsql -Database $db -Command "select count(*) from pg_constraint where conname in ('users_pkey', 'users_email_key')" | Should -Be 2
        Invoke-TestPsql -Database $db -Command "select count(*) from pg_tables where schemaname = 'public'" | Should -Be 1
    }

    It 'says so, and does not say VERIFIED, when a foreign key cannot come back because its table is missing' {
        $db = "tbln_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table dumps -CreateDatabase -Confirm:$false `
            -WarningVariable wv -WarningAction SilentlyContinue -ErrorVariable ev -ErrorAction SilentlyContinue
        $wv[0] | Should -BeLike '*dumps_user_id_fkey*public.users*'
        $r.Verified | Should -BeFalse
        $r.Tables[0].RowsMatch | Should -BeTrue
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'DefinitionMismatch*'
    }

    It 'refuses a table the target already has without -Clean, and changes nothing' {
        $db = New-Copy
        $before = Get-HashText $db
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table dumps -Confirm:$false -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'TargetNotEmpty*'
        $ev[0].Exception.Message | Should -BeLike '*-DataOnly*'
        Get-HashText $db | Should -Be $before
    }

    It 'checks -Table against the backup before anything is created: TableNotFound' {
        $db = "tbln_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table no_such_table -CreateDatabase -Confirm:$false -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'TableNotFound*'
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $ev[0].TargetObject | Should -Be 'no_such_table'
        $ev[0].Exception.Message | Should -BeLike '*public.reminders*'
        Invoke-TestPsql -Command "select count(*) from pg_database where datname = '$db'" | Should -Be 0
    }
}

Describe 'Restore-ClutterDatabase -Table -DataOnly' {
    It 'README: reloads the rows of a table in place, and leaves the schema as it was' {
        $db = New-Copy
        $before = Get-TestSchemaDump $db
        $hashes = Get-HashText $db
        Invoke-TestPsql -Database $db -Command "delete from reminders where done; update reminders set message = 'oops'" | Out-Null
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table reminders -DataOnly -Confirm:$false
        $r.Scope | Should -Be 'TableData'
        $r.Verified | Should -BeTrue
        (Get-HashText $db) | Should -Be $hashes
        Get-TestSchemaDump $db | Should -Be $before
    }

    It 'refuses when rows of tables outside -Table reference it (they would be emptied), and changes nothing' {
        $db = New-Copy
        $hashes = Get-HashText $db
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table users -DataOnly -Confirm:$false -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'ReferencingRowsWouldBeLost*'
        $ev[0].Exception.Message | Should -BeLike '*public.dumps*-Cascade*'
        Get-HashText $db | Should -Be $hashes
    }

    It 'reloads several tables that reference each other in one transaction, foreign keys checked before the commit' {
        $db = New-Copy
        $hashes = Get-HashText $db
        Invoke-TestPsql -Database $db -Command "delete from users where id in (select id from users limit 10)" | Out-Null
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table reminders, dumps, users -DataOnly -Confirm:$false
        $r.Verified | Should -BeTrue
        Get-HashText $db | Should -Be $hashes
    }

    It 'with -Cascade empties the referencing tables too, and warns which' {
        $db = New-Copy
        $r = Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $db) -Table users -DataOnly -Cascade -Confirm:$false -WarningVariable wv -WarningAction SilentlyContinue
        $r.Verified | Should -BeTrue
        Invoke-TestPsql -Database $db -Command 'select count(*) from users' | Should -Be $Counts['users']
        Invoke-TestPsql -Database $db -Command 'select count(*) from dumps' | Should -Be 0
        ($wv -join ' ') | Should -BeLike '*public.dumps*'
    }

    It 'rolls back everything when the stored object is damaged after the rows it needs' {
        $copy = Join-Path (New-TestFolder) $SourceDb
        $null = New-Item -ItemType Directory $copy
        Copy-Item -LiteralPath $Backup.Location, $Backup.ManifestLocation -Destination $copy
        $damaged = Join-Path $copy (Split-Path -Leaf $Backup.Location)
        $bytes = [IO.File]::ReadAllBytes($damaged); [IO.File]::WriteAllBytes($damaged, $bytes[0..($bytes.Length - 100)])
        $db = New-Copy
        Invoke-TestPsql -Database $db -Command "delete from reminders where done" | Out-Null
        $hashes = Get-HashText $db
        # reminders' rows come before the damage, so pg_restore has them all before the end is read.
        $r = Restore-ClutterDatabase -Location $damaged -TargetConnectionString (Get-TestPgUrl $db) -Table reminders -DataOnly -Confirm:$false -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'BackupTruncated*'
        Get-HashText $db | Should -Be $hashes
    }

    It 'cannot be combined with -Clean or -CreateDatabase' {
        { Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $SourceDb) -Table users -DataOnly -Clean -Confirm:$false } |
            Should -Throw -ErrorId 'AmbiguousParameterSet*'
    }
}
