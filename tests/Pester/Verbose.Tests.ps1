# -Verbose tells where things are: which pg_dump / pg_restore (path and version) a command runs, and which
# manifests and objects it reads from which location. The verbose stream (4>&1) of real commands against the
# real servers.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Db = New-TestDatabase -Prefix 'vrb' -Sql 'create table items (id int primary key, name text); insert into items select g, md5(g::text) from generate_series(1, 500) g'
    $script:Url = Get-TestPgUrl $Db
    $script:Bucket = New-TestBucket -Prefix 'vrb'
    $script:Loc = "s3://$Bucket/db"
    $PSDefaultParameterValues = @{ '*-Clutter*:EndpointUrl' = $S3Endpoint }
    $script:PgDump = Join-Path $PgBin ($IsWindows ? 'pg_dump.exe' : 'pg_dump')
    $script:PgRestore = Join-Path $PgBin ($IsWindows ? 'pg_restore.exe' : 'pg_restore')
    $script:Text = { param($records) (@($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message) -join "`n" }
    $out = Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc -Verbose 4>&1
    $script:BackupVerbose = & $Text $out
    $script:Backup = @($out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })[0]
}

Describe 'Verbose names the program and the manifests' {
    It 'Backup-ClutterDatabase names the pg_dump it runs (path and version) and the object it writes' {
        $BackupVerbose | Should -BeLike "*Using pg_dump (PostgreSQL) * at $PgDump *"
        $BackupVerbose | Should -BeLike "*$($Backup.Location)*"
    }

    It 'Restore-ClutterDatabase names the manifest it read and the pg_restore it runs (path and version)' {
        $target = New-TestDatabase -Prefix 'vrbt'
        $v = & $Text (Restore-ClutterDatabase -Location $Backup.Location -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false -Verbose 4>&1)
        $v | Should -BeLike "*Read the manifest $($Backup.ManifestLocation)*"
        $v | Should -BeLike "*Using pg_restore (PostgreSQL) * at $PgRestore to restore $($Backup.Location) into *"
    }

    It 'Test-ClutterBackup names the manifest and the object it read, and with -Deep the pg_restore' {
        $v = & $Text ($Backup | Test-ClutterBackup -Deep -Verbose 4>&1)
        $v | Should -BeLike "*Read the manifest $($Backup.ManifestLocation)*"
        $v | Should -BeLike "*Reading the backup object $($Backup.Location)*"
        $v | Should -BeLike "*Using pg_restore (PostgreSQL) * at $PgRestore *"
    }

    It 'Test-ClutterBackupAge says how many manifests it listed where, and which one it read' {
        $second = Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc
        $v = & $Text (Test-ClutterBackupAge $Loc -Verbose 4>&1)
        $v | Should -BeLike "*Listed 2 backup manifests of 1 database under $Loc;*newest 1 of each*"
        $v | Should -BeLike "*Reading the manifest $($second.ManifestLocation)*"
        $v | Should -Not -BeLike "*Reading the manifest $($Backup.ManifestLocation)*"   # one manifest read, the newest
    }
}
