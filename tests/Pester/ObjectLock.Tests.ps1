# Immutable backups: Backup-ClutterDatabase -RetainUntil writes the data object and the manifest with S3 Object Lock
# retention (Ceph RGW implements it as Amazon does), so whoever holds the backup host's keys cannot delete them.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Db = New-TestDatabase -Prefix 'lock' -Sql "create table t (id int primary key, v text); insert into t select g, md5(g::text) from generate_series(1, 2000) g"
    $script:Big = New-TestDatabase -Prefix 'lockbig' -Sql "create table big as select g, repeat(md5(g::text), 20) as t from generate_series(1, 30000) g"
    $script:Url = Get-TestPgUrl $Db
    $script:LockBucket = New-TestBucket 'lock' -ObjectLock

    function Get-ObjectHead([string]$Bucket, [string]$Location) {
        $key = $Location.Substring("s3://$Bucket/".Length)
        $path = "/$Bucket/" + (($key -split '/' | ForEach-Object { [uri]::EscapeDataString($_) }) -join '/')
        $h = Invoke-TestS3 -Method Head -Path $path
        [pscustomobject]@{
            Path = $path
            Mode = "$($h.Headers['x-amz-object-lock-mode'])"
            Until = $(if ("$($h.Headers['x-amz-object-lock-retain-until-date'])") { [DateTime]::Parse("$($h.Headers['x-amz-object-lock-retain-until-date'])", [Globalization.CultureInfo]::InvariantCulture, 'AdjustToUniversal') })
            Version = "$($h.Headers['x-amz-version-id'])"
        }
    }

    function Get-Outcome([scriptblock]$Command) {
        $errs = @()
        $out = try { & $Command -ErrorVariable +errs -ErrorAction SilentlyContinue } catch { $errs += $_ }
        [pscustomobject]@{ Output = @($out); Errors = @($errs | Where-Object { $_ -is [Management.Automation.ErrorRecord] }) }
    }
}

Describe 'Backup-ClutterDatabase -RetainUntil (S3 Object Lock)' {
    It 'README: locks the data object and the manifest until the date, and Get-ClutterBackup shows it' {
        $until = (Get-Date).AddDays(7)
        $b = Backup-ClutterDatabase $Url "s3://$LockBucket/db" -EndpointUrl $S3Endpoint -RetainUntil $until
        $b.RetentionMode | Should -Be 'Governance'
        $b.Locked | Should -BeTrue
        [Math]::Abs(($b.RetainUntil - $until.ToUniversalTime()).TotalSeconds) | Should -BeLessOrEqual 1

        foreach ($loc in $b.Location, $b.ManifestLocation) {
            $h = Get-ObjectHead $LockBucket $loc
            $h.Mode | Should -Be 'GOVERNANCE' -Because $loc
            [Math]::Abs(($h.Until - $b.RetainUntil).TotalSeconds) | Should -BeLessOrEqual 1
            # The server refuses to delete the locked version (a plain DELETE only adds a delete marker).
            $r = Invoke-TestS3 -Method Delete -Path $h.Path -Query @{ versionId = $h.Version } -SkipHttpErrorCheck
            [int]$r.StatusCode | Should -Be 403 -Because "a locked object cannot be deleted: $($r.Content)"
        }
        $listed = Get-ClutterBackup "s3://$LockBucket/db" -EndpointUrl $S3Endpoint -Database $Db -Latest
        $listed.Location | Should -Be $b.Location
        $listed.RetentionMode | Should -Be 'Governance'
        $listed.RetainUntil | Should -Be $b.RetainUntil
        (Test-ClutterBackup $b.Location -EndpointUrl $S3Endpoint).Status | Should -Be 'Passed'
    }

    It 'locks a multipart data object, in Compliance mode when asked' {
        $b = Backup-ClutterDatabase (Get-TestPgUrl $Big) "s3://$LockBucket/db" -EndpointUrl $S3Endpoint -Compression None -RetainUntil ([DateTime]::UtcNow.AddMinutes(30)) -RetentionMode Compliance
        $b.SizeBytes | Should -BeGreaterThan (16MB) -Because 'the object must be uploaded in several parts'
        (Get-ObjectHead $LockBucket $b.Location).Mode | Should -Be 'COMPLIANCE'
        (Get-ObjectHead $LockBucket $b.ManifestLocation).Mode | Should -Be 'COMPLIANCE'
        $b.RetentionMode | Should -Be 'Compliance'
        (Test-ClutterBackup $b.Location -EndpointUrl $S3Endpoint).Status | Should -Be 'Passed'
    }

    It 'a bucket without Object Lock: ObjectLockNotEnabled before anything is written' {
        $plain = New-TestBucket 'nolock'
        $o = Get-Outcome { Backup-ClutterDatabase $Url "s3://$plain/db" -EndpointUrl $S3Endpoint -RetainUntil (Get-Date).AddDays(1) }
        $o.Output.Count | Should -Be 0
        $o.Errors.Count | Should -Be 1
        $o.Errors[0].FullyQualifiedErrorId | Should -BeLike 'ObjectLockNotEnabled*'
        $o.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $o.Errors[0].Exception.Message | Should -Match $plain
        Get-TestS3Keys $plain | Should -BeNullOrEmpty
        Get-TestS3Uploads $plain | Should -BeNullOrEmpty
    }

    It 'a folder, a date in the past, a mode without a date: clear errors, nothing written' {
        $folder = New-TestFolder
        $cases = @(
            @{ Id = 'ObjectLockNeedsS3'; Args = @{ Destination = $folder; RetainUntil = (Get-Date).AddDays(1) } }
            @{ Id = 'RetainUntilInPast'; Args = @{ Destination = "s3://$LockBucket/past"; RetainUntil = (Get-Date).AddMinutes(-1) } }
            @{ Id = 'RetainUntilMissing'; Args = @{ Destination = "s3://$LockBucket/nodate"; RetentionMode = 'Compliance' } }
        )
        foreach ($c in $cases) {
            $a = $c.Args
            $o = Get-Outcome { Backup-ClutterDatabase -ConnectionString $Url -EndpointUrl $S3Endpoint @a }
            $o.Errors.Count | Should -Be 1 -Because $c.Id
            $o.Errors[0].FullyQualifiedErrorId | Should -BeLike "$($c.Id)*"
            $o.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        }
        @(Get-ChildItem -LiteralPath $folder -Recurse -File).Count | Should -Be 0
        @(Get-TestS3Keys $LockBucket | Where-Object { $_ -like 'past/*' -or $_ -like 'nodate/*' }).Count | Should -Be 0
    }

    It 'a backup without -RetainUntil is not locked' {
        $b = Backup-ClutterDatabase $Url "s3://$LockBucket/unlocked" -EndpointUrl $S3Endpoint
        $b.RetentionMode | Should -BeNullOrEmpty
        $b.RetainUntil | Should -BeNullOrEmpty
        $b.Locked | Should -BeFalse
        (Get-ObjectHead $LockBucket $b.Location).Mode | Should -BeNullOrEmpty
    }
}
