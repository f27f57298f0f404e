# What a pipeline does to a cmdlet that writes many objects: `| Select-Object -First 1` stops it quietly and at
# once (one object, no error record, nothing half-written); -ErrorAction Stop on a non-terminating error stops it
# with that error's own ErrorId; an error thrown by a downstream command stops the call as that error, and is
# never reported as the failure of one of the cmdlet's items. Real PostgreSQL, Ceph RGW and folders.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $PSDefaultParameterValues = @{
        '*-Clutter*:EndpointUrl'                     = $S3Endpoint
        'Sync-ClutterStorage:SourceEndpointUrl'      = $S3Endpoint
        'Sync-ClutterStorage:DestinationEndpointUrl' = $S3Endpoint
    }
    $script:Db = New-TestDatabase -Prefix 'pstop' -Sql 'create table t as select g from generate_series(1, 1000) g'
    $script:Db2 = New-TestDatabase -Prefix 'pstop' -Sql 'create table u as select g from generate_series(1, 10) g'
    $script:Root = New-TestFolder
    $script:Bucket = New-TestBucket 'pstop'
    $script:S3Loc = "s3://$Bucket/db"
    $script:FolderLoc = Join-Path $Root 'backups'
    foreach ($i in 1..3) {
        $null = Backup-ClutterDatabase (Get-TestPgUrl $Db) $S3Loc, $FolderLoc
    }
    $null = Backup-ClutterDatabase (Get-TestPgUrl $Db2) $S3Loc, $FolderLoc

    # Runs a pipeline; returns its output objects, the error records it wrote or threw, and how long it took.
    function Invoke-Pipeline([scriptblock]$Pipeline) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $records = [Collections.Generic.List[object]]::new()
        $thrown = $null
        try { & $Pipeline 2>&1 | ForEach-Object { $records.Add($_) } }
        catch { $thrown = $_ }
        $watch.Stop()
        [pscustomobject]@{
            Output  = @($records | Where-Object { $_ -isnot [Management.Automation.ErrorRecord] })
            Errors  = @($records | Where-Object { $_ -is [Management.Automation.ErrorRecord] })
            Thrown  = $thrown
            Seconds = $watch.Elapsed.TotalSeconds
        }
    }

    function Assert-StoppedQuietly($Run, [string]$TypeName) {
        $Run.Thrown | Should -BeNullOrEmpty -Because "$($Run.Thrown)"
        $Run.Errors.Count | Should -Be 0 -Because ($Run.Errors | Out-String)
        $Run.Output.Count | Should -Be 1
        $Run.Output[0].PSObject.TypeNames[0] | Should -Be $TypeName
        $Run.Seconds | Should -BeLessThan 20 -Because 'the stop is answered at once'
    }
}

AfterAll {
    Remove-Item -Recurse -Force $Root -ErrorAction SilentlyContinue
}

Describe 'Select-Object -First 1 after a cmdlet that writes many objects' {
    It 'Get-ClutterBackup (S3 and folder)' {
        foreach ($loc in $S3Loc, $FolderLoc) {
            @(Get-ClutterBackup $loc).Count | Should -Be 4
            Assert-StoppedQuietly (Invoke-Pipeline { Get-ClutterBackup $loc | Select-Object -First 1 }) 'ClutterDR.BackupInfo'
        }
    }

    It 'Test-ClutterBackup over several piped backups' {
        Assert-StoppedQuietly (Invoke-Pipeline { Get-ClutterBackup $S3Loc | Test-ClutterBackup | Select-Object -First 1 }) 'ClutterDR.BackupVerification'
        Assert-StoppedQuietly (Invoke-Pipeline { Get-ClutterBackup $FolderLoc | Test-ClutterBackup -Deep | Select-Object -First 1 }) 'ClutterDR.BackupVerification'
    }

    It 'Test-ClutterBackupAge over several databases and piped locations' {
        Assert-StoppedQuietly (Invoke-Pipeline { Test-ClutterBackupAge $S3Loc | Select-Object -First 1 }) 'ClutterDR.BackupAgeResult'
        Assert-StoppedQuietly (Invoke-Pipeline { $FolderLoc, $S3Loc | Test-ClutterBackupAge | Select-Object -First 1 }) 'ClutterDR.BackupAgeResult'
    }

    It 'Sync-ClutterStorage -PassThru, S3 to a folder: no half-written file is left' {
        $dest = Join-Path $Root 'sync-dest'
        $run = Invoke-Pipeline { Sync-ClutterStorage "s3://$Bucket" $dest -PassThru -ThrottleLimit 4 | Select-Object -First 1 }
        Assert-StoppedQuietly $run 'ClutterDR.SyncItem'
        @(Get-ChildItem -LiteralPath $dest -Recurse -Force -File -Filter '.clutterdr-*.tmp').Count | Should -Be 0
        $keys = Get-TestS3Keys $Bucket
        foreach ($f in @(Get-ChildItem -LiteralPath $dest -Recurse -File)) {
            $rel = [IO.Path]::GetRelativePath($dest, $f.FullName).Replace('\', '/')
            $keys | Should -Contain $rel
        }
    }

    It 'Clear-ClutterBackupDebris with debris: the removals stop with the pipeline' {
        $folder = New-TestFolder
        $partials = foreach ($day in 1..5) {
            $p = Join-Path $folder $Db "${Db}_2024010${day}T000000Z.dump.zst.partial"
            $null = New-Item -ItemType Directory -Force -Path (Split-Path $p)
            [IO.File]::WriteAllBytes($p, [byte[]]::new(100))
            $p
        }
        Assert-StoppedQuietly (Invoke-Pipeline { Clear-ClutterBackupDebris $folder -OlderThan '0s' -Confirm:$false | Select-Object -First 1 }) 'ClutterDR.DebrisItem'
        @($partials | Where-Object { Test-Path -LiteralPath $_ }).Count | Should -Be 4 -Because 'nothing is removed once the pipeline has stopped'
    }

    It 'Get-ClutterBackup | Test-ClutterBackupAge' {
        Assert-StoppedQuietly (Invoke-Pipeline { Get-ClutterBackup $S3Loc | Select-Object @{ n = 'Location'; e = { $S3Loc } } | Test-ClutterBackupAge | Select-Object -First 1 }) 'ClutterDR.BackupAgeResult'
    }
}

Describe 'An error that stops the pipeline' {
    It '-ErrorAction Stop: the first item''s own error stops Test-ClutterBackup, before the next item' {
        $missing = "s3://$Bucket/db/$Db/${Db}_20200101T000000Z.dump.zst"
        $run = Invoke-Pipeline { $missing, (Get-ClutterBackup $S3Loc -Latest -Database $Db).Location | Test-ClutterBackup -ErrorAction Stop }
        $run.Thrown | Should -Not -BeNullOrEmpty
        $run.Thrown.FullyQualifiedErrorId | Should -BeLike 'ManifestNotFound,*'
        # The first item's own result (not verified) comes before its error; the second item is never tested.
        @($run.Output.Location) | Should -Be @($missing) -Because 'the call stopped at its first item'
    }

    It '-ErrorAction Stop and $ErrorActionPreference = ''Stop'': the first failed key stops Sync-ClutterStorage with its ErrorId' {
        $bucket = New-TestBucket 'pstop'
        $null = Invoke-TestS3 -Method Put -Path "/$bucket/..%5C..%5Cescaped.txt" -Body ([Text.Encoding]::UTF8.GetBytes('evil'))
        foreach ($i in 1..8) { $null = Invoke-TestS3 -Method Put -Path "/$bucket/good$i.txt" -Body ([Text.Encoding]::UTF8.GetBytes('good')) }
        $run = Invoke-Pipeline { Sync-ClutterStorage "s3://$bucket" (Join-Path $Root 'evil1') -PassThru -ErrorAction Stop }
        $run.Thrown.FullyQualifiedErrorId | Should -BeLike 'UnsafeObjectKey,*'
        $run.Errors.Count | Should -Be 0
        $run = Invoke-Pipeline { $ErrorActionPreference = 'Stop'; Sync-ClutterStorage "s3://$bucket" (Join-Path $Root 'evil2') }
        $run.Thrown.FullyQualifiedErrorId | Should -BeLike 'UnsafeObjectKey,*'
        $run.Output.Count | Should -Be 0 -Because 'no summary follows the stopping error'
    }

    It '-ErrorAction Stop: BackupNotFound for the first database stops Get-ClutterBackup' {
        $run = Invoke-Pipeline { Get-ClutterBackup $S3Loc -Database 'nosuch', $Db -ErrorAction Stop }
        $run.Thrown.FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
    }

    It 'a downstream command''s error stops Sync-ClutterStorage as that error, not as failed items' {
        $dest = Join-Path $Root 'sync-throw'
        $run = Invoke-Pipeline { Sync-ClutterStorage "s3://$Bucket" $dest -PassThru -ThrottleLimit 2 | ForEach-Object { throw 'downstream says no' } }
        $run.Thrown | Should -Not -BeNullOrEmpty
        $run.Thrown.Exception.Message | Should -Be 'downstream says no'
        $run.Errors.Count | Should -Be 0 -Because ($run.Errors | Out-String)
        $run.Output.Count | Should -Be 0 -Because 'no summary follows the stopping error'
        @(Get-ChildItem -LiteralPath $dest -Recurse -Force -File -Filter '.clutterdr-*.tmp' -ErrorAction SilentlyContinue).Count | Should -Be 0
        $run = Invoke-Pipeline { Sync-ClutterStorage "s3://$Bucket" (Join-Path $Root 'sync-stop') -PassThru | ForEach-Object { Write-Error 'not this one' -ErrorId 'Downstream' -ErrorAction Stop } }
        $run.Thrown.FullyQualifiedErrorId | Should -BeLike 'Downstream*'
        $run.Errors.Count | Should -Be 0 -Because ($run.Errors | Out-String)
    }

    It 'a downstream -ErrorAction Stop stops Clear-ClutterBackupDebris with the downstream''s error' {
        $folder = New-TestFolder
        foreach ($day in 1..3) {
            $p = Join-Path $folder $Db "${Db}_2024010${day}T000000Z.dump.zst.partial"
            $null = New-Item -ItemType Directory -Force -Path (Split-Path $p)
            [IO.File]::WriteAllBytes($p, [byte[]]::new(100))
        }
        $run = Invoke-Pipeline { Clear-ClutterBackupDebris $folder -OlderThan '0s' -Confirm:$false | ForEach-Object { Write-Error 'not this one' -ErrorId 'Downstream' -ErrorAction Stop } }
        $run.Thrown.FullyQualifiedErrorId | Should -BeLike 'Downstream*'
        $run.Errors.Count | Should -Be 0 -Because ($run.Errors | Out-String)
        @(Get-ChildItem -LiteralPath (Join-Path $folder $Db) -Filter '*.partial').Count | Should -Be 2
    }
}
