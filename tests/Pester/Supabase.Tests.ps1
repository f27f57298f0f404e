# Issue 13 from a pwsh prompt: a Supabase project (tests/Fixtures/supabase on the Supabase-shaped test cluster,
# whose superuser is supabase_admin) backed up and restored into a new project as the README shows it, always
# connected as the non-superuser postgres; and what an admin sees when the target is not what -TargetKind says.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    if (-not $env:CLUTTERDR_TEST_SUPABASE_PORT) { throw 'CLUTTERDR_TEST_SUPABASE_PORT is not set: the test services start the Supabase-shaped cluster.' }
    function Invoke-SupaPsql([string]$Database, [string]$User = 'postgres', [string[]]$Arguments) {
        $env:PGPASSWORD = $env:CLUTTERDR_TEST_SUPABASE_PASSWORD
        try {
            $out = & (Join-Path $script:PgBin 'psql') -X -q -t -A -v ON_ERROR_STOP=1 -h $env:CLUTTERDR_TEST_SUPABASE_HOST -p $env:CLUTTERDR_TEST_SUPABASE_PORT -U $User -d $Database @Arguments 2>&1
            if ($LASTEXITCODE -ne 0) { throw "psql failed ($LASTEXITCODE): $out" }
            $out
        } finally { Remove-Item Env:PGPASSWORD }
    }
    function New-SupaProject([switch]$InUse) {
        $name = "pts_$([guid]::NewGuid().ToString('N').Substring(0, 10))"
        Invoke-SupaPsql postgres supabase_admin @('-c', "create database $name") | Out-Null
        Invoke-SupaPsql $name supabase_admin @('-f', (Join-Path $script:FixtureDir 'supabase/platform.sql'), '-v', "postgres_password=$($env:CLUTTERDR_TEST_SUPABASE_PASSWORD)") | Out-Null
        if ($InUse) { Invoke-SupaPsql $name postgres @('-f', (Join-Path $script:FixtureDir 'supabase/project.sql'), '-v', 'scale=1') | Out-Null }
        $name
    }
    function Get-SupaUrl([string]$Database) {
        "postgresql://postgres:$([uri]::EscapeDataString($env:CLUTTERDR_TEST_SUPABASE_PASSWORD))@$($env:CLUTTERDR_TEST_SUPABASE_HOST):$($env:CLUTTERDR_TEST_SUPABASE_PORT)/$Database"
    }
    $script:Source = New-SupaProject -InUse
    $script:Target = New-SupaProject
    $script:Folder = New-TestFolder
}

AfterAll {
    foreach ($d in $Source, $Target) { Invoke-SupaPsql postgres supabase_admin @('-c', "drop database if exists $d with (force)") | Out-Null }
    Remove-Item -Recurse -Force $Folder -ErrorAction SilentlyContinue
}

Describe 'Scenario 2: a lost project restored into a new project' {
    It 'detects the new project, restores the project and its auth and storage rows, and says what it left out' {
        $backup = Backup-ClutterDatabase -ConnectionString (Get-SupaUrl $Source) -Destination $Folder -IncludeRoles
        (Get-Content -Raw $backup.ManifestLocation | ConvertFrom-Json).platform | Should -Be 'Supabase'

        $out = $backup | Restore-ClutterDatabase -TargetConnectionString (Get-SupaUrl $Target) -Confirm:$false -Verbose 4>&1 3>&1
        $result = $out | Where-Object { $_.PSObject.TypeNames -contains 'ClutterDR.RestoreResult' }
        $verbose = ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message
        $warnings = @(($out | Where-Object { $_ -is [System.Management.Automation.WarningRecord] }).Message)

        $result.TargetKind | Should -Be 'Supabase'
        $result.Verified | Should -BeTrue
        $verbose | Should -Contain ($verbose | Where-Object { $_ -like '*is a Supabase project*' } | Select-Object -First 1)
        ($verbose | Where-Object { $_ -like '*left out:*event triggers*' }) | Should -Not -BeNullOrEmpty
        # The fixture's storage policies stand in for supautils' policy_grants: postgres may not create them here.
        $warnings.Count | Should -Be 3
        $warnings | ForEach-Object { $_ | Should -BeLike 'Not restored: policy * on storage.objects*' }
        foreach ($t in 'auth.users', 'auth.identities', 'storage.objects', 'public.dumps') {
            Invoke-SupaPsql $Target postgres @('-c', "select count(*) from $t") | Should -Be (Invoke-SupaPsql $Source postgres @('-c', "select count(*) from $t"))
        }
        # The grants narrowed below the default privileges stay narrow: anon has nothing on backup_audit_log.
        Invoke-SupaPsql $Target postgres @('-c', "select has_table_privilege('anon', 'public.backup_audit_log', 'INSERT')") | Should -Be 'f'
        Invoke-SupaPsql $Target postgres @('-c', 'select count(*) from auth.schema_migrations') | Should -Be '77'
    }

    It 'refuses -TargetKind Supabase on a plain server with TargetNotSupabase, changing nothing' {
        $backup = Get-ClutterBackup $Folder -Latest
        $err = $null
        $backup | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl 'postgres') -TargetKind Supabase -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'TargetNotSupabase,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -BeLike '*-TargetKind PostgreSQL*'
    }

    It 'names the missing roles and both ways out when a Supabase backup goes onto plain PostgreSQL' {
        $backup = Get-ClutterBackup $Folder -Latest
        $db = "ptp_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $err = $null
        $backup | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $db) -CreateDatabase -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RolesMissing,*'
        $err[0].Exception.Message | Should -BeLike '*-CreateMissingRoles*-NoPrivileges*'
        Invoke-TestPsql -Command "select count(*) from pg_database where datname = '$db'" | Should -Be '0'

        $r = $backup | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $db) -CreateDatabase -NoPrivileges -Confirm:$false
        try {
            $r.Verified | Should -BeTrue
            Invoke-TestPsql -Database $db -Command 'select count(*) from auth.users' | Should -Be '500'
        } finally { Invoke-TestPsql -Command "drop database if exists $db with (force)" | Out-Null }
    }
}
