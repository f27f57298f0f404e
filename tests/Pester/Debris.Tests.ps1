# Fault matrix row 14, kill -9 mid-backup: what the killed backup left (a folder's .partial file, an S3 multipart
# upload) is removed by the next backup of that database (its debris older than CLUTTERDR_DEBRIS_MIN_AGE, 24 h
# unless set; 0s here), and on demand by Clear-ClutterBackupDebris. Only our backup names of the database asked
# for are touched; the earlier backups stay listed and restorable.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    # About 40 MB of dump: at zstd level 19 a backup of it takes many seconds, long enough to be killed mid-way.
    $script:Db = New-TestDatabase -Prefix 'debris' -Sql "create table big as select g, md5(random()::text) || md5(random()::text) as t from generate_series(1, 500000) g"

    # Starts a multipart upload with one 1 kB part and leaves it unfinished, as a killed backup does; returns its upload id.
    function New-TestMultipartUpload([string]$Bucket, [string]$Key) {
        $path = "/$Bucket/" + (($Key -split '/' | ForEach-Object { [Uri]::EscapeDataString($_) }) -join '/')
        [xml]$xml = (Invoke-TestS3 -Method Post -Path $path -Query @{ uploads = '' }).Content
        $id = $xml.InitiateMultipartUploadResult.UploadId
        $null = Invoke-TestS3 -Method Put -Path $path -Query @{ partNumber = '1'; uploadId = $id } -Body ([byte[]]::new(1024))
        $id
    }

    # Starts Backup-ClutterDatabase in a child pwsh, waits until $Until says it is writing, and kills it (SIGKILL).
    # The child prints the backup's progress ("MB <n>": megabytes dumped) on its standard output; $Until gets
    # the last number seen as $args[0].
    function Invoke-KilledBackup([string]$Destination, [string[]]$Extra, [scriptblock]$Until) {
        $psi = [Diagnostics.ProcessStartInfo]::new($Pwsh)
        $command = @"
`$ps = [powershell]::Create()
`$null = `$ps.AddScript({ param(`$m, `$u, `$d, `$e) Import-Module `$m; Backup-ClutterDatabase `$u `$d $($Extra -join ' ') -EndpointUrl `$e }).AddArgument(`$env:KB_MODULE).AddArgument(`$env:KB_URL).AddArgument(`$env:KB_DEST).AddArgument(`$env:CLUTTERDR_TEST_S3_ENDPOINT)
`$h = `$ps.BeginInvoke()
while (-not `$h.IsCompleted) {
    `$last = `$ps.Streams.Progress | Where-Object StatusDescription -match '^([\d.]+) MB' | Select-Object -Last 1
    if (`$last -and `$last.StatusDescription -match '^([\d.]+) MB') { [Console]::Out.WriteLine('MB ' + `$Matches[1]); [Console]::Out.Flush() }
    Start-Sleep -Milliseconds 100
}
`$ps.EndInvoke(`$h)
`$ps.Streams.Error | ForEach-Object { [Console]::Error.WriteLine("`$_") }
"@
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $command) { $psi.ArgumentList.Add($a) }
        $psi.Environment['KB_MODULE'] = $env:CLUTTERDR_MODULE_PATH
        $psi.Environment['KB_URL'] = Get-TestPgUrl $Db
        $psi.Environment['KB_DEST'] = $Destination
        $psi.UseShellExecute = $false
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        $dumpedMB = 0.0
        $line = $p.StandardOutput.ReadLineAsync()
        try {
            $deadline = [datetime]::UtcNow.AddSeconds(180)
            while (-not (& $Until $dumpedMB) -and -not $p.HasExited -and [datetime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 100
                while ($line.IsCompleted -and $null -ne $line.Result) {
                    if ($line.Result -match '^MB ([\d.]+)$') { $dumpedMB = [double]$Matches[1] }
                    $line = $p.StandardOutput.ReadLineAsync()
                }
            }
            $p.HasExited | Should -BeFalse -Because "the backup must still be running when it is killed (it said: $(if ($p.HasExited) { $p.StandardError.ReadToEnd() }))"
            & $Until $dumpedMB | Should -BeTrue -Because 'the backup must have started writing before it is killed'
            Start-Sleep -Milliseconds 300
            $p.Kill() # SIGKILL: no clean-up of any kind runs
            $p.WaitForExit()
        }
        finally { if (-not $p.HasExited) { $p.Kill() }; $p.Dispose() }
        # The orphaned pg_dump dies on its broken pipe; wait for its session to end before the next backup.
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        while ((Invoke-TestPsql -Command "select count(*) from pg_stat_activity where datname = '$Db' and application_name <> 'psql'") -ne '0' -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
    }
}

Describe 'Debris of a killed backup to a folder (row 14)' {
    AfterEach {
        Remove-Item Env:CLUTTERDR_DEBRIS_MIN_AGE -ErrorAction SilentlyContinue
    }

    It 'is left alone while young, then removed by the next backup, which touches nothing else' {
        $folder = New-TestFolder
        $earlier = Backup-ClutterDatabase (Get-TestPgUrl $Db) $folder
        Invoke-KilledBackup -Destination $folder -Extra '-CompressionLevel', '19' -Until { @(Get-ChildItem -LiteralPath (Join-Path $folder $Db) -Filter '*.partial').Count -gt 0 }
        $partial = @(Get-ChildItem -LiteralPath (Join-Path $folder $Db) -Filter '*.partial')
        $partial | Should -HaveCount 1 -Because 'the killed backup left its partial file'
        $partial[0].Name | Should -Match "^${Db}_\d{8}T\d{6}Z\.dump\.zst\.partial$"
        # Someone else's debris and a file that is not one of our backup names: never touched by this database's backup.
        $other = Join-Path $folder 'otherdb' 'otherdb_20200101T000000Z.dump.zst.partial'
        $null = New-Item -ItemType Directory -Force -Path (Split-Path $other)
        Set-Content -LiteralPath $other -Value 'other'
        (Get-Item -LiteralPath $other).LastWriteTimeUtc = [datetime]::UtcNow.AddDays(-3)
        $notOurs = Join-Path $folder $Db 'notes.partial'
        Set-Content -LiteralPath $notOurs -Value 'mine'
        (Get-Item -LiteralPath $notOurs).LastWriteTimeUtc = [datetime]::UtcNow.AddDays(-3)

        # Younger than 24 hours: it may be a backup running right now, so the next backup leaves it.
        $verbose = Backup-ClutterDatabase (Get-TestPgUrl $Db) $folder -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        Test-Path -LiteralPath $partial[0].FullName | Should -BeTrue
        $verbose.Message -match 'interrupted backup' | Should -BeNullOrEmpty

        $env:CLUTTERDR_DEBRIS_MIN_AGE = '0s'
        $verbose = Backup-ClutterDatabase (Get-TestPgUrl $Db) $folder -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        Test-Path -LiteralPath $partial[0].FullName | Should -BeFalse -Because 'the next backup removes the partial file the killed one left'
        @($verbose.Message -like "Removed what an interrupted backup left: the partial file $($partial[0].FullName) (*") | Should -HaveCount 1
        Test-Path -LiteralPath $other | Should -BeTrue -Because "another database's debris is not this backup's to remove"
        Test-Path -LiteralPath $notOurs | Should -BeTrue -Because 'a file that is not one of our backup names is never removed'
        @(Get-ChildItem -Recurse -LiteralPath (Join-Path $folder $Db) -Filter '*.partial').Name | Should -Be @('notes.partial')

        # The earlier backups are still listed and restore.
        $listed = @(Get-ClutterBackup $folder -Database $Db)
        $listed | Should -HaveCount 3
        $listed.Location | Should -Contain $earlier.Location
        $target = "debrisrestored_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = Get-ClutterBackup $folder -Database $Db | Where-Object Location -EQ $earlier.Location | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -Confirm:$false
        $r.Tables.Matches | Should -Not -Contain $false
        Invoke-TestPsql -Database $target -Command 'select count(*) from big' | Should -Be 500000
    }

    It 'refuses a CLUTTERDR_DEBRIS_MIN_AGE that is not a duration' {
        $env:CLUTTERDR_DEBRIS_MIN_AGE = 'soon'
        $folder = New-TestFolder
        Backup-ClutterDatabase (Get-TestPgUrl $Db) $folder -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -BeLike 'InvalidDebrisAge,*'
        $e[0].Exception.Message | Should -Match "CLUTTERDR_DEBRIS_MIN_AGE is 'soon'"
        @(Get-ChildItem -Recurse -File -LiteralPath $folder) | Should -BeNullOrEmpty
    }
}

Describe 'Clear-ClutterBackupDebris on a folder' {
    BeforeAll {
        $script:Tiny = New-TestDatabase -Prefix 'debristiny' -Sql 'create table t as select g from generate_series(1, 10) g'
    }
    BeforeEach {
        $script:Folder = New-TestFolder
        $script:Kept = Backup-ClutterDatabase (Get-TestPgUrl $Tiny) $Folder
        function New-Partial([string]$Database, [string]$Stamp, [int]$AgeHours) {
            $p = Join-Path $Folder $Database "${Database}_${Stamp}.dump.zst.partial"
            $null = New-Item -ItemType Directory -Force -Path (Split-Path $p)
            [IO.File]::WriteAllBytes($p, [byte[]]::new(1234))
            (Get-Item -LiteralPath $p).LastWriteTimeUtc = [datetime]::UtcNow.AddHours(-$AgeHours)
            $p
        }
        $script:Old = New-Partial $Tiny '20240101T000000Z' 30
        $script:Young = New-Partial $Tiny '20240102T000000Z' 1
        $script:OtherOld = New-Partial 'otherdb' '20240101T000000Z' 30
        $script:NotOurs = Join-Path $Folder $Tiny 'scratch.partial'
        Set-Content -LiteralPath $NotOurs -Value 'x'
        (Get-Item -LiteralPath $NotOurs).LastWriteTimeUtc = [datetime]::UtcNow.AddDays(-5)
    }

    It 'removes only debris older than 24 hours by default and returns one DebrisItem per removed file' {
        $Kept.Location | Should -Match "${Tiny}_\d{8}T\d{6}Z\.dump\.zst$"
        $items = @(Clear-ClutterBackupDebris $Folder)
        $items | Should -HaveCount 2
        $items | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'ClutterDR.DebrisItem' }
        ($items.Location | Sort-Object) | Should -Be (@($Old, $OtherOld) | Sort-Object)
        $items.Kind | ForEach-Object { "$_" | Should -Be 'PartialFile' }
        $items.Size | Should -Be @(1234, 1234)
        $mine = $items | Where-Object Database -EQ $Tiny
        ([datetime]::UtcNow - $mine.Initiated).TotalHours | Should -BeGreaterThan 29
        Test-Path -LiteralPath $Old | Should -BeFalse
        Test-Path -LiteralPath $OtherOld | Should -BeFalse
        Test-Path -LiteralPath $Young | Should -BeTrue
        Test-Path -LiteralPath $NotOurs | Should -BeTrue
        (Get-ClutterBackup $Folder -Database $Tiny).Location | Should -Be $Kept.Location
        ($items | Format-Table | Out-String) | Should -Match 'PartialFile'
    }

    It 'honours -Database, -OlderThan and -WhatIf' {
        Clear-ClutterBackupDebris $Folder -OlderThan '0s' -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $Old, $Young, $OtherOld | Should -Be @($true, $true, $true)

        $items = @(Clear-ClutterBackupDebris $Folder -Database $Tiny -OlderThan '0s')
        ($items.Location | Sort-Object) | Should -Be (@($Old, $Young) | Sort-Object)
        Test-Path -LiteralPath $OtherOld | Should -BeTrue -Because '-Database limits what is removed'
        Test-Path -LiteralPath $NotOurs | Should -BeTrue
        Clear-ClutterBackupDebris $Folder -Database $Tiny -OlderThan '0s' | Should -BeNullOrEmpty
        (Get-ClutterBackup $Folder -Database $Tiny).Location | Should -Be $Kept.Location
    }

    It 'refuses an -OlderThan without a unit and a location that does not exist' {
        { Clear-ClutterBackupDebris $Folder -OlderThan 5 } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,ClutterDR.Commands.ClearClutterBackupDebrisCommand'
        Clear-ClutterBackupDebris (Join-Path $Folder 'missing') -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'LocationNotFound,*'
    }
}

Describe 'Debris of a killed backup to S3 (row 14)' {
    AfterEach {
        Remove-Item Env:CLUTTERDR_DEBRIS_MIN_AGE -ErrorAction SilentlyContinue
    }

    It 'is an unfinished multipart upload, which the next backup aborts; nothing else is touched' {
        $bucket = New-TestBucket
        $dest = "s3://$bucket/db"
        $earlier = Backup-ClutterDatabase (Get-TestPgUrl $Db) $dest -EndpointUrl $S3Endpoint
        # Killed as soon as its multipart upload exists (the first 8 MB part is full); zstd level 12 is slow enough
        # that the backup is far from done then, fast enough not to take minutes on a loaded machine.
        Invoke-KilledBackup -Destination $dest -Extra '-CompressionLevel', '12' -Until { $u = Get-TestS3Uploads $bucket; @($u -like "db/$Db/*").Count -gt 0 }
        $uploads = Get-TestS3Uploads $bucket
        $uploads | Should -HaveCount 1 -Because 'the killed backup left its multipart upload'
        $uploads[0] | Should -Match "^db/$Db/${Db}_\d{8}T\d{6}Z\.dump\.zst$"
        # Another database's upload under the same prefix is not this backup's to abort.
        $otherKey = 'db/otherdb/otherdb_20200101T000000Z.dump.zst'
        $null = New-TestMultipartUpload $bucket $otherKey

        (Get-TestS3Uploads $bucket).Count | Should -Be 2
        $verbose = Backup-ClutterDatabase (Get-TestPgUrl $Db) $dest -EndpointUrl $S3Endpoint -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        (Get-TestS3Uploads $bucket).Count | Should -Be 2 -Because 'an upload initiated less than 24 hours ago may be a backup running now'
        $verbose.Message -match 'interrupted backup' | Should -BeNullOrEmpty

        $env:CLUTTERDR_DEBRIS_MIN_AGE = '0s'
        $verbose = Backup-ClutterDatabase (Get-TestPgUrl $Db) $dest -EndpointUrl $S3Endpoint -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose.Message -like "Removed what an interrupted backup left: the multipart upload of s3://$bucket/$($uploads[0]) (*") | Should -HaveCount 1
        $left = Get-TestS3Uploads $bucket
        $left | Should -Be @($otherKey) -Because "the killed backup's upload is aborted (ListMultipartUploads no longer has it), the other database's is not"

        # Clear-ClutterBackupDebris removes the rest on demand.
        $items = @(Clear-ClutterBackupDebris $dest -OlderThan '0s' -EndpointUrl $S3Endpoint)
        $items | Should -HaveCount 1
        $items[0].Location | Should -Be "s3://$bucket/$otherKey"
        "$($items[0].Kind)" | Should -Be 'MultipartUpload'
        $left = Get-TestS3Uploads $bucket
        $left | Should -BeNullOrEmpty

        $listed = @(Get-ClutterBackup $dest -EndpointUrl $S3Endpoint)
        $listed | Should -HaveCount 3
        $target = "debriss3_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = $listed | Where-Object Location -EQ $earlier.Location | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -Confirm:$false
        $r.Tables.Matches | Should -Not -Contain $false
        Invoke-TestPsql -Database $target -Command 'select count(*) from big' | Should -Be 500000
    }
}
