# Every bad input gets one clear ErrorRecord (stable ErrorId, real category, the offending target),
# never a stack trace, never the password, and never a half-written backup.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:SourceDb = New-TestDatabase -Prefix 'bad' -Sql "create table t (id int primary key, v text); insert into t select g, md5(g::text) from generate_series(1, 1000) g; create table hidden (x int);"
    $script:Url = Get-TestPgUrl $SourceDb
    $script:Bucket = New-TestBucket
    $script:Loc = "s3://$Bucket/db"
    $script:Folder = New-TestFolder
    $script:Good = Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc -EndpointUrl $S3Endpoint

    # Runs a command, collects its errors (terminating or not) and everything it wrote to any stream.
    function Get-Failure([scriptblock]$Command) {
        $errors = @()
        $text = try { & $Command -ErrorVariable +errors -ErrorAction SilentlyContinue *>&1 | Out-String } catch { $errors += $_; '' }
        [pscustomobject]@{ Error = $errors | Select-Object -First 1; AllText = $text + ($errors | Out-String) }
    }

    function Assert-NothingNew {
        (Get-TestS3Keys $Bucket) | Should -Be @("db/$SourceDb/$(Split-Path -Leaf $Good.Location)", "db/$SourceDb/$(Split-Path -Leaf $Good.ManifestLocation)")
        (Get-ClutterBackup $Loc -EndpointUrl $S3Endpoint).Location | Should -Be $Good.Location
    }
}

Describe 'Backup-ClutterDatabase rejects bad input' {
    It 'a malformed connection string: InvalidConnectionString' {
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString 'postgresql://u:Sup3rSecret@host:notaport/db' -Destination $Folder }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'InvalidConnectionString*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $f.AllText | Should -Not -Match 'Sup3rSecret'
    }

    It 'an unknown -Format or -Compression: names the values it takes, and writes nothing' {
        foreach ($bad in @{ Format = 'Directory' }, @{ Compression = 'lz4' }) {
            $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc -EndpointUrl $S3Endpoint @bad }
            $f.Error.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError*'
            $f.Error.CategoryInfo.Category | Should -Be 'InvalidData'
        }
        (Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc -Format Directory }).Error.Exception.Message | Should -Match 'Custom,Plain'
        (Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc -Compression lz4 }).Error.Exception.Message | Should -Match 'Zstd,Gzip,None'
        Assert-NothingNew
    }

    It 'an unreachable server: ServerUnreachable' {
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString 'postgresql://postgres:pw@127.0.0.1:1/db?connect_timeout=3' -Destination $Loc -EndpointUrl $S3Endpoint }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'ServerUnreachable*'
        $f.Error.CategoryInfo.Category | Should -Be 'ConnectionError'
        Assert-NothingNew
    }

    It 'a wrong password: AuthenticationFailed, and the password is nowhere' {
        $wrong = 'Wr0ng-Secret-9137'
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $SourceDb -Password $wrong) -Destination $Loc -EndpointUrl $S3Endpoint -Verbose }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed*'
        $f.Error.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $f.AllText | Should -Not -Match $wrong
        $f.AllText | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
        Assert-NothingNew
    }

    It 'a database that does not exist: DatabaseNotFound' {
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl 'no_such_db') -Destination $Loc -EndpointUrl $S3Endpoint }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'DatabaseNotFound*'
        $f.Error.TargetObject | Should -Be 'no_such_db'
        Assert-NothingNew
    }

    It 'a -Table that does not exist: TableNotFound' {
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Table t, 'nope' -Destination $Loc -EndpointUrl $S3Endpoint }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'TableNotFound*'
        $f.Error.TargetObject | Should -Be 'nope'
        Assert-NothingNew
    }

    It 'pg_dump missing: a terminating PgToolNotFound that says how to point at it' {
        $empty = New-TestFolder
        $saved = $env:CLUTTERDR_PG_BIN
        $env:CLUTTERDR_PG_BIN = $empty
        try {
            { Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc -EndpointUrl $S3Endpoint -ErrorAction SilentlyContinue } |
                Should -Throw -ErrorId 'PgToolNotFound*' -ExpectedMessage '*CLUTTERDR_PG_BIN*'
        }
        finally { $env:CLUTTERDR_PG_BIN = $saved }
        Assert-NothingNew
    }

    It 'a destination bucket that does not exist: DestinationNotFound' {
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination 's3://no-such-bucket-x1/db' -EndpointUrl $S3Endpoint }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'DestinationNotFound*'
        $f.Error.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'a destination folder that cannot be written: DestinationNotWritable' {
        $file = Join-Path $Folder 'a-file'
        Set-Content -LiteralPath $file -Value 'x'
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $file 'sub') }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'DestinationNotWritable*'
        $f.Error.CategoryInfo.Category | Should -Be 'PermissionDenied'
    }

    It 'a role that may not read a table: PermissionDenied naming it, and nothing half-written' {
        $role = "r_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        Invoke-TestPsql -Database $SourceDb -Command "create role $role login password 'rolepw'; grant select on t to $role; revoke all on hidden from public;" | Out-Null
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Credential ([pscredential]::new($role, (ConvertTo-SecureString 'rolepw' -AsPlainText -Force))) -Destination $Loc -EndpointUrl $S3Endpoint }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'PermissionDenied*'
        $f.Error.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $f.AllText | Should -Match 'hidden'
        $f.AllText | Should -Not -Match 'rolepw'
        Assert-NothingNew
    }
}

Describe 'Restore-ClutterDatabase rejects bad input' {
    It 'a location with no manifest: ManifestNotFound' {
        $key = "db/$SourceDb/${SourceDb}_20200101T000000Z.dump.zst"
        $null = Invoke-WebRequest -Method Put -Uri "$S3Endpoint/$Bucket/$key" -Body ([byte[]](1, 2, 3)) -UseBasicParsing
        try {
            $target = New-TestDatabase -Prefix 'nomani'
            $f = Get-Failure { Restore-ClutterDatabase -Location "s3://$Bucket/$key" -EndpointUrl $S3Endpoint -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false }
            $f.Error.FullyQualifiedErrorId | Should -BeLike 'ManifestNotFound*'
            $f.Error.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            Invoke-TestPsql -Database $target -Command "select count(*) from pg_tables where schemaname = 'public'" | Should -Be 0
        }
        finally { $null = Invoke-WebRequest -Method Delete -Uri "$S3Endpoint/$Bucket/$key" -UseBasicParsing }
    }

    It 'a non-empty target without -Clean: TargetNotEmpty, target untouched' {
        $target = New-TestDatabase -Prefix 'busy' -Sql 'create table keepme (x int); insert into keepme values (7);'
        $f = Get-Failure { $Good | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'TargetNotEmpty*'
        $f.Error.CategoryInfo.Category | Should -Be 'ResourceExists'
        $f.Error.ToString() | Should -Match '-Clean'
        Invoke-TestPsql -Database $target -Command 'select x from keepme' | Should -Be 7
    }

    It 'a missing target database without -CreateDatabase: DatabaseNotFound' {
        $f = Get-Failure { $Good | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl 'never_created_db') -Confirm:$false }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'DatabaseNotFound*'
        $f.Error.ToString() | Should -Match '-CreateDatabase'
    }

    It 'a manifest that does not parse: ManifestInvalid, and Get-ClutterBackup lists the rest' {
        $folder = New-TestFolder
        $b1 = Backup-ClutterDatabase -ConnectionString $Url -Destination $folder
        $b2 = Backup-ClutterDatabase -ConnectionString $Url -Destination $folder
        Set-Content -LiteralPath $b2.ManifestLocation -Value '{ this is not json'
        $target = New-TestDatabase -Prefix 'badmani'
        $f = Get-Failure { Restore-ClutterDatabase -Location $b2.Location -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'ManifestInvalid*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidData'
        $f.Error.TargetObject | Should -Be $b2.ManifestLocation

        $listed = Get-ClutterBackup $folder -ErrorVariable ev -ErrorAction SilentlyContinue
        $listed.Location | Should -Be $b1.Location
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'ManifestInvalid*'
    }

    It 'a stored object that does not match its manifest: ChecksumMismatch, target unchanged' {
        $folder = New-TestFolder
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination $folder -Compression None
        $bytes = [IO.File]::ReadAllBytes($b.Location)
        $bytes[$bytes.Length - 10] = $bytes[$bytes.Length - 10] -bxor 0xFF
        [IO.File]::WriteAllBytes($b.Location, $bytes)
        $target = New-TestDatabase -Prefix 'flip'
        $f = Get-Failure { $b | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false }
        $f.Error.FullyQualifiedErrorId | Should -Match '^(ChecksumMismatch|RestoreFailed)'
        Invoke-TestPsql -Database $target -Command "select count(*) from pg_tables where schemaname = 'public'" | Should -Be 0
    }
}

Describe 'Get-ClutterBackup and Test-ClutterBackupAge reject bad input' {
    It 'a folder that does not exist: LocationNotFound' {
        $f = Get-Failure { Get-ClutterBackup (Join-Path $Folder 'nope') }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'LocationNotFound*'
    }

    It 'an unsupported scheme: InvalidLocation' {
        { Get-ClutterBackup 'gs://bucket/x' -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'InvalidLocation*'
    }

    It 'no S3 credentials anywhere: S3CredentialsNotFound' {
        $script = {
            Import-Module $env:CLUTTERDR_MODULE_PATH
            Get-ChildItem Env:AWS_* | Remove-Item
            $env:AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials'; $env:AWS_CONFIG_FILE = '/nonexistent/config'; $env:AWS_EC2_METADATA_DISABLED = 'true'
            Get-ClutterBackup s3://some-bucket/db -EndpointUrl $args[0] -ErrorAction SilentlyContinue -ErrorVariable ev
            $ev[0].FullyQualifiedErrorId
        }
        $pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
        $out = & $pwsh -NoProfile -NonInteractive -Command $script -args $S3Endpoint
        $out | Should -BeLike 'S3CredentialsNotFound*'
    }

    It 'a bucket that does not exist: LocationNotFound' {
        $f = Get-Failure { Test-ClutterBackupAge 's3://no-such-bucket-y2/db' -EndpointUrl $S3Endpoint }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'LocationNotFound*'
    }
}
