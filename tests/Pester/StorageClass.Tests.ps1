# -StorageClass as users call it: the built module, the real S3 server (s3rver keeps each object's class,
# reports it on HEAD, leaves the header out for STANDARD and refuses unknown classes with InvalidStorageClass).
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $PSDefaultParameterValues = @{
        'Backup-ClutterDatabase:EndpointUrl'         = $S3Endpoint
        'Get-ClutterBackup:EndpointUrl'              = $S3Endpoint
        'Sync-ClutterStorage:DestinationEndpointUrl' = $S3Endpoint
    }
    # Over 8 MiB uncompressed, so the data object goes up as a multipart upload.
    $script:Db = New-TestDatabase 'sc' -Sql "create table t as select g, md5(g::text) || md5((g * 7)::text) as body from generate_series(1, 150000) g;"
    $script:Url = Get-TestPgUrl $Db

    # Every error record of a call: the non-terminating ones (its -ErrorVariable ev) and the terminating one.
    function Get-ErrorRecords([scriptblock]$Command) {
        $ev = @()
        $caught = @()
        try { $null = . $Command } catch { $caught += $_ }
        @($ev | Where-Object { $_ -is [Management.Automation.ErrorRecord] }) + $caught
    }

    function Get-StorageClass([string]$Bucket, [string]$Key) {
        $path = "/$Bucket/" + (($Key -split '/' | ForEach-Object { [uri]::EscapeDataString($_) }) -join '/')
        $head = Invoke-TestS3 -Method Head -Path $path
        $c = $head.Headers['x-amz-storage-class']
        if ($c) { "$c" } else { 'STANDARD' }
    }
}

AfterAll {
    Invoke-TestPsql -Command "drop database if exists $Db" | Out-Null
}

Describe '-StorageClass' {
    It 'fails a backup to a class the endpoint refuses with one StorageClassRejected error and leaves nothing' {
        $bucket = New-TestBucket 'sc'
        # Two databases in: each would fail the same way, so the first refusal ends the call.
        $errs = @(Get-ErrorRecords { $Url, $Url | Backup-ClutterDatabase -Destination "s3://$bucket/pg" -Compression None -StorageClass BOGUS -ErrorVariable +ev -ErrorAction SilentlyContinue })
        $errs.Count | Should -Be 1 -Because ($errs | Out-String)
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'StorageClassRejected*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($errs[0].TargetObject)" | Should -BeLike "s3://$bucket/pg/*"
        $errs[0].ErrorDetails.Message | Should -Match "'BOGUS'"
        $errs[0].ErrorDetails.Message | Should -Match 'Leave out -StorageClass'
        (Get-TestS3Keys $bucket).Count | Should -Be 0   # no data object, no manifest
        @(Get-ClutterBackup "s3://$bucket/pg").Count | Should -Be 0
    }

    It 'fails a sync to a class the endpoint refuses with one StorageClassRejected error' {
        $src = New-TestFolder
        foreach ($i in 1..12) { [IO.File]::WriteAllBytes((Join-Path $src "f$i.bin"), [byte[]]::new(1000)) }
        $bucket = New-TestBucket 'sc'
        $errs = @(Get-ErrorRecords { Sync-ClutterStorage $src "s3://$bucket" -StorageClass BOGUS -ErrorVariable +ev -ErrorAction SilentlyContinue })
        $errs.Count | Should -Be 1 -Because ($errs | Out-String)
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'StorageClassRejected*'
        (Get-TestS3Keys $bucket).Count | Should -Be 0
        Remove-Item -Recurse -Force $src
    }

    It 'archives a GLACIER backup''s data object but keeps its manifest in STANDARD, so listings still see it' {
        $bucket = New-TestBucket 'sc'
        $b = Backup-ClutterDatabase $Url "s3://$bucket/pg" -StorageClass GLACIER
        $prefix = "s3://$bucket/"
        Get-StorageClass $bucket $b.Location.Substring($prefix.Length) | Should -Be 'GLACIER'
        Get-StorageClass $bucket $b.ManifestLocation.Substring($prefix.Length) | Should -Be 'STANDARD'
        (Get-ClutterBackup "s3://$bucket/pg" -Latest).Location | Should -Be $b.Location

        $ia = Backup-ClutterDatabase $Url "s3://$bucket/ia" -StorageClass STANDARD_IA
        Get-StorageClass $bucket $ia.Location.Substring($prefix.Length) | Should -Be 'STANDARD_IA'
        Get-StorageClass $bucket $ia.ManifestLocation.Substring($prefix.Length) | Should -Be 'STANDARD_IA'
    }

    It 'says in the help which classes need an S3 restore before Restore-ClutterDatabase' {
        $docs = Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'docs/en-US'
        foreach ($page in 'Backup-ClutterDatabase.md', 'Sync-ClutterStorage.md') {
            $text = Get-Content -Raw -LiteralPath (Join-Path $docs $page)
            $text | Should -Match 'DEEP_ARCHIVE' -Because $page
            $text | Should -Match 'restore-object' -Because $page
        }
    }
}
