# The cmdlets as the README shows them, in README-style pipelines, against real PostgreSQL and S3.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:SourceDb = New-TestDatabase -Prefix 'readme' -Files 'clutter-schema.sql'
    $script:Url = Get-TestPgUrl $SourceDb
    $script:Bucket = New-TestBucket
    $script:S3Loc = "s3://$Bucket/db"
    $script:Folder = New-TestFolder
    $PSDefaultParameterValues = @{ '*-Clutter*:EndpointUrl' = $S3Endpoint }
}

AfterAll {
    Remove-Item -Recurse -Force $Folder -ErrorAction SilentlyContinue
}

Describe 'Backup-ClutterDatabase' {
    It 'backs up to S3 and returns a BackupInfo with row counts from the dump snapshot' {
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination $S3Loc -StorageClass STANDARD_IA
        $b.PSObject.TypeNames[0] | Should -Be 'ClutterDR.BackupInfo'
        $b.Location | Should -BeLike "s3://$Bucket/db/$SourceDb/${SourceDb}_*Z.dump.zst"
        $b.ManifestLocation | Should -Be "$($b.Location).manifest.json"
        $b.Database | Should -Be $SourceDb
        $b.Format | Should -Be 'Custom'
        $b.Compression | Should -Be 'Zstd'
        $b.SizeBytes | Should -BeLessThan $b.RawSizeBytes
        $b.Sha256 | Should -Match '^[0-9a-f]{64}$'
        $b.EndpointUrl | Should -Be $S3Endpoint
        ($b.Tables | Where-Object Name -eq 'dumps').Rows | Should -Be 20000
        ($b.Tables | Where-Object Name -eq 'users').Rows | Should -Be 1000
        $keys = Get-TestS3Keys $Bucket
        $keys | Should -Contain "db/$SourceDb/$(Split-Path -Leaf $b.Location)"
        $keys | Should -Contain "db/$SourceDb/$(Split-Path -Leaf $b.ManifestLocation)"
        $head = Invoke-TestS3 -Method Head -Path "/$Bucket/db/$SourceDb/$(Split-Path -Leaf $b.Location)"
        $head.Headers['x-amz-storage-class'] | Should -Be 'STANDARD_IA'
    }

    It 'backs up to a folder given as a relative path, resolved against the PowerShell location' {
        Push-Location $Folder
        try {
            $b = Backup-ClutterDatabase -ConnectionString $Url -Destination ./local -Compression Gzip
        }
        finally { Pop-Location }
        $b.Location | Should -BeLike (Join-Path $Folder 'local' $SourceDb "${SourceDb}_*Z.dump.gz")
        Test-Path -LiteralPath $b.Location | Should -BeTrue
        (Get-Item -LiteralPath $b.Location).Length | Should -Be $b.SizeBytes
        (Get-FileHash -LiteralPath $b.Location -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $b.Sha256
        $manifest = Get-Content -Raw -LiteralPath $b.ManifestLocation | ConvertFrom-Json
        $manifest.database | Should -Be $SourceDb
        $manifest.compression | Should -Be 'Gzip'
        $manifest.tables.Count | Should -Be 4
    }

    It 'dumps only the tables asked for, and counts only those' {
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Folder 'subset') -Table users, 'public.remind*'
        ($b.Tables.Name | Sort-Object) | Should -Be @('reminders', 'users')
        $b2 = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Folder 'subset2') -ExcludeTable dumps, reminders
        ($b2.Tables.Name | Sort-Object) | Should -Be @('backup_audit_log', 'users')
    }

    It 'never shows the password in any output stream' {
        $all = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Folder 'quiet') -Verbose *>&1 | Out-String
        $all | Should -Not -BeNullOrEmpty
        $all | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
        Get-ChildItem -Recurse -File (Join-Path $Folder 'quiet') -Filter *.json | Get-Content -Raw |
            Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
    }
}

Describe 'Get-ClutterBackup' {
    BeforeAll {
        $script:ListBucket = New-TestBucket
        $script:ListLoc = "s3://$ListBucket/db"
        $script:Made = 1..3 | ForEach-Object { Backup-ClutterDatabase -ConnectionString $Url -Destination $ListLoc -Table users }
    }

    It 'lists complete backups newest first' {
        $all = Get-ClutterBackup $ListLoc
        $all.Count | Should -Be 3
        $all[0].Location | Should -Be $Made[2].Location
        $all[2].Location | Should -Be $Made[0].Location
        $all | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'ClutterDR.BackupInfo' }
    }

    It 'filters with -Latest, -Newest, -Since and -Database' {
        (Get-ClutterBackup $ListLoc -Latest).Location | Should -Be $Made[2].Location
        (Get-ClutterBackup $ListLoc -Newest 2).Location | Should -Be @($Made[2].Location, $Made[1].Location)
        @(Get-ClutterBackup $ListLoc -Since $Made[2].CreatedUtc.AddSeconds(-0.5)).Count | Should -BeLessOrEqual 3
        @(Get-ClutterBackup $ListLoc -Since ([datetime]::UtcNow.AddHours(1))).Count | Should -Be 0
        @(Get-ClutterBackup $ListLoc -Database $SourceDb).Count | Should -Be 3
        @(Get-ClutterBackup $ListLoc -Database 'other_db' -ErrorAction SilentlyContinue -ErrorVariable ev).Count | Should -Be 0
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound*'
    }

    It 'ignores backups without a manifest' {
        $orphan = "db/$SourceDb/${SourceDb}_20990101T000000Z.dump.zst"
        $null = Invoke-TestS3 -Method Put -Path "/$ListBucket/$orphan" -Body ([byte[]](1, 2, 3))
        (Get-ClutterBackup $ListLoc -Latest).Location | Should -Be $Made[2].Location
    }
}

Describe 'Restore-ClutterDatabase' {
    It 'restores the newest backup from the pipeline and verifies row counts (the README pipeline)' {
        $null = Backup-ClutterDatabase -ConnectionString $Url -Destination $S3Loc
        $target = New-TestDatabase -Prefix 'restored'
        $r = Get-ClutterBackup $S3Loc -Latest | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false
        $r.PSObject.TypeNames[0] | Should -Be 'ClutterDR.RestoreResult'
        $r.Verified | Should -BeTrue
        $r.Database | Should -Be $target
        ($r.Tables | Where-Object Name -eq 'dumps').ActualRows | Should -Be 20000
        Invoke-TestPsql -Database $target -Command 'select count(*) from reminders' | Should -Be 10000
    }

    It 'creates the database with -CreateDatabase and restores a plain gzip backup through psql' {
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Folder 'plain') -Format Plain -Compression Gzip
        $b.Location | Should -BeLike '*.sql.gz'
        $target = "plain_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = $b | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -Confirm:$false
        $r.Verified | Should -BeTrue
        Invoke-TestPsql -Database $target -Command 'select count(*) from users' | Should -Be 1000
    }

    It 'restores by -Location, replaces objects with -Clean, and restores single tables with -Table' {
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Folder 'clean') -Compression None
        $target = New-TestDatabase -Prefix 'clean'
        $null = Restore-ClutterDatabase -Location $b.Location -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false
        Invoke-TestPsql -Database $target -Command 'delete from reminders' | Out-Null
        $r = Restore-ClutterDatabase -Location $b.Location -TargetConnectionString (Get-TestPgUrl $target) -Clean -Confirm:$false
        $r.Verified | Should -BeTrue
        Invoke-TestPsql -Database $target -Command 'select count(*) from reminders' | Should -Be 10000

        foreach ($tables in @('users'), @('public.users', 'dumps'), @('users', 'dumps', 'reminders')) {
            # Whole tables into an empty database: each with its keys, and foreign keys where both ends are restored.
            $one = New-TestDatabase -Prefix 'onetable'
            $r = Restore-ClutterDatabase -Location $b.Location -TargetConnectionString (Get-TestPgUrl $one) -Table $tables -NoOwner -Confirm:$false
            $r.Tables.Name | Sort-Object | Should -Be @($tables -replace '^public\.' | Sort-Object)
            $r.Verified | Should -BeTrue
            Invoke-TestPsql -Database $one -Command "select count(*) from pg_tables where schemaname = 'public'" | Should -Be $tables.Count
        }
    }

    It 'changes nothing with -WhatIf' {
        $target = New-TestDatabase -Prefix 'whatif'
        $r = Get-ClutterBackup $S3Loc -Latest | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -WhatIf
        $r | Should -BeNullOrEmpty
        Invoke-TestPsql -Database $target -Command "select count(*) from pg_tables where schemaname = 'public'" | Should -Be 0
    }
}

Describe 'Test-ClutterBackupAge' {
    It 'is healthy right after a backup' {
        $r = Test-ClutterBackupAge $S3Loc -MaxAge 48:00:00
        $r.PSObject.TypeNames[0] | Should -Be 'ClutterDR.BackupAgeResult'
        $r.Healthy | Should -BeTrue
        $r.Age | Should -BeLessThan ([timespan]::FromMinutes(30))
        $r.Latest | Should -BeLike "s3://$Bucket/db/*"
    }

    It 'defaults to 48 hours' {
        (Test-ClutterBackupAge $S3Loc).MaxAge | Should -Be ([timespan]::FromHours(48))
    }

    It 'reports BackupTooOld as an error that -ErrorAction Stop turns into a failed job' {
        Start-Sleep -Milliseconds 1100
        $r = Test-ClutterBackupAge $S3Loc -MaxAge 00:00:01 -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.Healthy | Should -BeFalse
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'BackupTooOld*'
        $ev[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        { Test-ClutterBackupAge $S3Loc -MaxAge 00:00:01 -ErrorAction Stop } | Should -Throw -ErrorId 'BackupTooOld*'
    }

    It 'reports BackupNotFound for a location without backups' {
        $empty = New-TestBucket
        $r = Test-ClutterBackupAge "s3://$empty/db" -ErrorVariable ev -ErrorAction SilentlyContinue
        $r.Healthy | Should -BeFalse
        $r.Latest | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound*'
    }
}

Describe 'Test-ClutterBackupAge -MaxAge' {
    It 'reads 48:00:00 as 48 hours, not 48 days' {
        $folder = New-TestFolder
        (Test-ClutterBackupAge $folder -MaxAge 48:00:00 -ErrorAction SilentlyContinue).MaxAge | Should -Be ([timespan]::FromHours(48))
        (Test-ClutterBackupAge $folder -MaxAge 26h -ErrorAction SilentlyContinue).MaxAge | Should -Be ([timespan]::FromHours(26))
        (Test-ClutterBackupAge $folder -MaxAge '2d' -ErrorAction SilentlyContinue).MaxAge | Should -Be ([timespan]::FromDays(2))
        (Test-ClutterBackupAge $folder -MaxAge (New-TimeSpan -Minutes 5) -ErrorAction SilentlyContinue).MaxAge | Should -Be ([timespan]::FromMinutes(5))
    }

    It 'refuses a bare number (PowerShell reads an unquoted 2d as the number 2)' {
        { Test-ClutterBackupAge (New-TestFolder) -MaxAge 2d } | Should -Throw -ErrorId 'ParameterArgumentTransformationError*' -ExpectedMessage "*Quote the duration*"
        { Test-ClutterBackupAge (New-TestFolder) -MaxAge 30s } | Should -Throw -ExpectedMessage "*has no unit*"
    }
}
