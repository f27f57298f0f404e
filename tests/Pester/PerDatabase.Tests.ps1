# A location holds one folder per database: the age alarm, -Latest/-Newest and the restore pipeline work per
# database, so that a stale database is never hidden behind a fresh one and one database's backup is never
# restored over another by accident.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:DbA = New-TestDatabase -Prefix 'pda' -Sql "create table a (id int primary key); insert into a select generate_series(1, 10);"
    $script:DbB = New-TestDatabase -Prefix 'pdb' -Sql "create table b (id int primary key); insert into b select generate_series(1, 20);"
    $script:Folder = New-TestFolder
    $script:Bucket = New-TestBucket 'pd'
    $script:S3Loc = "s3://$Bucket/db"
    $PSDefaultParameterValues = @{ '*-Clutter*:EndpointUrl' = $S3Endpoint }

    foreach ($db in $DbA, $DbB) {
        $null = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $db) -Destination $Folder
        $null = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $db) -Destination $Folder
        $null = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $db) -Destination $S3Loc
    }

    # Makes every backup of a database in a folder look $Days days older: the object names and the manifests'
    # times move back (the data objects are the real dumps), as if its backup job had stopped running.
    function Set-BackupsOlder([string]$Root, [string]$Database, [int]$Days) {
        foreach ($m in Get-ChildItem -LiteralPath (Join-Path $Root $Database) -Filter '*.manifest.json') {
            $json = Get-Content -LiteralPath $m.FullName -Raw | ConvertFrom-Json
            $started = ([datetime]$json.startedUtc).ToUniversalTime().AddDays(-$Days)
            $oldData = $json.dataObject
            $newData = $oldData -replace '_\d{8}T\d{6}Z', ('_' + $started.ToString("yyyyMMdd'T'HHmmss'Z'"))
            $json.startedUtc = $started.ToString('o'); $json.completedUtc = $started.ToString('o'); $json.dataObject = $newData
            Move-Item -LiteralPath (Join-Path $m.DirectoryName $oldData) -Destination (Join-Path $m.DirectoryName $newData)
            $json | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath (Join-Path $m.DirectoryName "$newData.manifest.json")
            Remove-Item -LiteralPath $m.FullName
        }
    }
    $script:StaleFolder = New-TestFolder
    foreach ($db in $DbA, $DbB) { $null = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $db) -Destination $StaleFolder }
    Set-BackupsOlder $StaleFolder $DbA 3
}

AfterAll {
    Remove-Item -Recurse -Force $Folder, $StaleFolder -ErrorAction SilentlyContinue
}

Describe 'Test-ClutterBackupAge checks every database under a location' {
    It 'outputs one result per database and a BackupTooOld error for the stale one only' {
        $r = @(Test-ClutterBackupAge $StaleFolder -MaxAge 48:00:00 -ErrorVariable ev -ErrorAction SilentlyContinue)
        $r.Count | Should -Be 2
        ($r | Where-Object Database -eq $DbA).Healthy | Should -BeFalse
        ($r | Where-Object Database -eq $DbB).Healthy | Should -BeTrue
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'BackupTooOld*'
        $ev[0].Exception.Message | Should -BeLike "*$DbA*"
        $ev[0].TargetObject | Should -BeLike "*$DbA*"
    }

    It 'fails a job that stops on errors when one database is stale' {
        { $ErrorActionPreference = 'Stop'; Test-ClutterBackupAge $StaleFolder -MaxAge 48:00:00 } | Should -Throw -ErrorId 'BackupTooOld*'
    }

    It 'narrows to the databases named with -Database; a named database without backups is BackupNotFound' {
        $r = @(Test-ClutterBackupAge $StaleFolder -MaxAge 48:00:00 -Database $DbB -ErrorVariable ev -ErrorAction SilentlyContinue)
        $r.Count | Should -Be 1
        $r[0].Healthy | Should -BeTrue
        $ev.Count | Should -Be 0

        $r = @(Test-ClutterBackupAge $StaleFolder -MaxAge 48:00:00 -Database $DbB, 'no_such_db' -ErrorVariable ev -ErrorAction SilentlyContinue)
        $r.Count | Should -Be 2
        ($r | Where-Object Database -eq 'no_such_db').Latest | Should -BeNullOrEmpty
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound*'
        $ev[0].Exception.Message | Should -BeLike "*no_such_db*$DbA*"
    }

    It 'is healthy for every database on S3 right after their backups' {
        $r = @(Test-ClutterBackupAge $S3Loc -MaxAge 1:00:00 -ErrorVariable ev -ErrorAction SilentlyContinue)
        $r.Database | Sort-Object | Should -Be (@($DbA, $DbB) | Sort-Object)
        $r.Healthy | Should -Not -Contain $false
        $ev.Count | Should -Be 0
    }
}

Describe 'Get-ClutterBackup -Latest and -Newest count per database' {
    It '-Latest returns the newest backup of each database' {
        $all = Get-ClutterBackup $Folder
        $all.Count | Should -Be 4
        $latest = @(Get-ClutterBackup $Folder -Latest)
        $latest.Count | Should -Be 2
        $latest.Database | Sort-Object | Should -Be (@($DbA, $DbB) | Sort-Object)
        foreach ($l in $latest) {
            $l.CreatedUtc | Should -Be (($all | Where-Object Database -eq $l.Database | Sort-Object CreatedUtc -Descending)[0].CreatedUtc)
        }
    }

    It '-Newest N returns up to N of each database, and -Database narrows to several names' {
        @(Get-ClutterBackup $Folder -Newest 1).Count | Should -Be 2
        @(Get-ClutterBackup $Folder -Newest 5).Count | Should -Be 4
        @(Get-ClutterBackup $Folder -Database $DbA -Newest 5).Database | Sort-Object -Unique | Should -Be $DbA
        @(Get-ClutterBackup $Folder -Database $DbA, $DbB -Latest).Count | Should -Be 2
    }

    It 'a database without backups is a BackupNotFound error that names the databases there' {
        $r = Get-ClutterBackup $Folder -Database 'no_such_db' -ErrorVariable ev -ErrorAction SilentlyContinue
        $r | Should -BeNullOrEmpty
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound*'
        $ev[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $ev[0].TargetObject | Should -Be 'no_such_db'
        $ev[0].Exception.Message | Should -BeLike "*$DbA*"
        $ev[0].Exception.Message | Should -BeLike "*$DbB*"
    }
}

Describe 'Restore-ClutterDatabase takes one backup per target' {
    It 'refuses two backups piped into one target, and restores neither' {
        $target = "pdt_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $e = $null
        try {
            Get-ClutterBackup $S3Loc -Latest | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -Confirm:$false
        } catch { $e = $_ }
        $e.FullyQualifiedErrorId | Should -BeLike 'MultipleBackupsForOneTarget*'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -BeLike "*-Database*"
        $e.Exception.Message | Should -BeLike "*$DbA*"
        Invoke-TestPsql -Command "select count(*) from pg_database where datname = '$target'" | Should -Be 0
    }

    It 'restores the one backup of a database picked with -Database -Latest (the README drill)' {
        $target = "pdt_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = Get-ClutterBackup $S3Loc -Database $DbB -Latest |
            Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -Confirm:$false
        $r.Verified | Should -BeTrue
        Invoke-TestPsql -Database $target -Command 'select count(*) from b' | Should -Be 20
    }
}
