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
        $all = $text + ($errors | Out-String)
        # Every bad input is a situation we foresee: none may be reported as "failed unexpectedly".
        $all | Should -Not -Match 'failed unexpectedly' -Because 'a foreseeable bad input needs its own ErrorId and message'
        [pscustomobject]@{ Error = $errors | Select-Object -First 1; AllText = $all }
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
        $null = Invoke-TestS3 -Method Put -Path "/$Bucket/$key" -Body ([byte[]](1, 2, 3))
        try {
            $target = New-TestDatabase -Prefix 'nomani'
            $f = Get-Failure { Restore-ClutterDatabase -Location "s3://$Bucket/$key" -EndpointUrl $S3Endpoint -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false }
            $f.Error.FullyQualifiedErrorId | Should -BeLike 'ManifestNotFound*'
            $f.Error.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            Invoke-TestPsql -Database $target -Command "select count(*) from pg_tables where schemaname = 'public'" | Should -Be 0
        }
        finally { $null = Invoke-TestS3 -Method Delete -Path "/$Bucket/$key" }
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

Describe 'Backup-ClutterDatabase: filters, destinations and keys that cannot work, and nothing written' {
    BeforeAll {
        # Sign-only keys as gpg makes them: ed25519 (an algorithm that cannot encrypt) and RSA (one that can,
        # limited to signing by its key flags).
        if (-not (Get-Command gpg -ErrorAction Ignore)) { throw 'gpg is not installed (Debian package gnupg); .ci/run installs it.' }
        $script:SignHome = Join-Path ([IO.Path]::GetTempPath()) "cdr-gpg-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        $null = New-Item -ItemType Directory -Path $SignHome
        if (-not $IsWindows) { chmod 700 $SignHome }
        function Invoke-SignGpg([string[]]$Arguments) {
            $psi = [Diagnostics.ProcessStartInfo]::new('gpg')
            foreach ($a in @('--homedir', $SignHome, '--batch', '--yes', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '') + $Arguments) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardError = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
            $p = [Diagnostics.Process]::Start($psi)
            $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEnd(); $p.WaitForExit()
            if ($p.ExitCode -ne 0) { throw "gpg $($Arguments -join ' ') failed ($($p.ExitCode)): $err" }
            $out.Result
        }
        $script:SignOnly = @{}
        foreach ($algo in 'ed25519', 'rsa2048') {
            $uid = "sign-$algo@example.com"
            $null = Invoke-SignGpg @('--quick-gen-key', "Sign Only <$uid>", $algo, 'sign', 'never')
            $SignOnly[$algo] = Join-Path $Folder "sign-$algo.pub.asc"
            $null = Invoke-SignGpg @('--armor', '--output', $SignOnly[$algo], '--export', $uid)
        }
    }

    AfterAll {
        & gpgconf --homedir $SignHome --kill gpg-agent 2>$null
        Remove-Item -Recurse -Force $SignHome -ErrorAction Ignore
    }

    It 'a filter that leaves no table (<Name>): NothingToBackUp before anything is written' -ForEach @(
        @{ Name = "-ExcludeTable '*'"; Filter = @{ ExcludeTable = '*' } }
        @{ Name = '-Table t -ExcludeTable t'; Filter = @{ Table = 't'; ExcludeTable = 't' } }
    ) {
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc -EndpointUrl $S3Endpoint @Filter }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'NothingToBackUp,*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $f.Error.Exception.Message | Should -Match 'leave no table'
        Assert-NothingNew
        $folder = New-TestFolder
        (Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination $folder @Filter }).Error.FullyQualifiedErrorId | Should -BeLike 'NothingToBackUp,*'
        @(Get-ChildItem -Recurse -Force $folder).Count | Should -Be 0
    }

    It 'a wildcard -Destination resolves as PowerShell paths do: exactly one existing folder, or an error' {
        $root = New-TestFolder
        $null = New-Item -ItemType Directory -Path (Join-Path $root 'bk1'), (Join-Path $root 'bk2')
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $root 'bk*') }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'AmbiguousDestination,*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $f.Error.Exception.Message | Should -Match 'matches 2 folders'
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $root 'zz*') }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'DestinationNotFound,*'
        $f.Error.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        @(Get-ChildItem -Recurse -Force $root).Name | Sort-Object | Should -Be @('bk1', 'bk2')  # no folder named bk* or zz*

        Push-Location $root
        try { $b = Backup-ClutterDatabase -ConnectionString $Url -Destination 'bk1*' }   # relative, one match
        finally { Pop-Location }
        $b.Location | Should -BeLike (Join-Path $root 'bk1' $SourceDb '*')
        # A literal path is taken as it is, and a missing folder is created, as before.
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $root 'new' 'deeper')
        Test-Path -LiteralPath $b.Location | Should -BeTrue
    }

    It 'a file as -Destination: DestinationNotFolder says it is a file, not a permission problem' {
        $file = Join-Path (New-TestFolder) 'not-a-folder'
        Set-Content -LiteralPath $file -Value 'keep'
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination $file }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'DestinationNotFolder,*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $f.Error.TargetObject | Should -Be $file
        $f.Error.Exception.Message | Should -Match 'is a file, not a folder'
        $f.Error.Exception.Message | Should -Not -Match 'cannot be written|denied|exists'
        Get-Content -LiteralPath $file | Should -Be 'keep'
        @(Get-ChildItem -Force (Split-Path -Parent $file)).Count | Should -Be 1
    }

    It 'a keyword connection string Npgsql refuses (<Text>): our own words, not .NET''s' -ForEach @(
        @{ Text = 'not a connection string'; Says = 'neither a postgresql:// URI nor a keyword string' }
        @{ Text = 'Host=localhost;dbname=app'; Says = "'dbname' is not a keyword" }
        @{ Text = 'host=localhost dbname=app user=ops'; Says = "libpq's keyword form" }
        @{ Text = 'Host=localhost;Port=fivefour'; Says = 'does not fit its keyword' }
    ) {
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Text -Destination $Loc -EndpointUrl $S3Endpoint }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'InvalidConnectionString,*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $f.Error.Exception.Message | Should -BeLike "*$Says*"
        $f.Error.Exception.Message | Should -Not -Match 'initialization string|Keyword not supported|index 0'
        Assert-NothingNew
    }

    It 'a folder as -Recipient: KeyNotFound says it is a folder, not a key file' {
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc -EndpointUrl $S3Endpoint -Recipient $Folder }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'KeyNotFound,*'
        $f.Error.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $f.Error.Exception.Message | Should -Match 'is a folder, not a key file'
        $f.Error.Exception.Message | Should -Not -Match 'Access to the path'
        Assert-NothingNew
    }

    It 'a sign-only <_> public key as -Recipient: NoEncryptionKey, and nothing encrypted to it' -ForEach 'ed25519', 'rsa2048' {
        $key = $SignOnly[$_]
        $f = Get-Failure { Backup-ClutterDatabase -ConnectionString $Url -Destination $Loc -EndpointUrl $S3Endpoint -Recipient $key }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'NoEncryptionKey,*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $f.Error.TargetObject | Should -Be $key
        Assert-NothingNew
        $plain = Join-Path (New-TestFolder) 'plain.txt'
        Set-Content -LiteralPath $plain -Value 'secret'
        (Get-Failure { Protect-ClutterFile -Path $plain -Recipient $key }).Error.FullyQualifiedErrorId | Should -BeLike 'NoEncryptionKey,*'
        @(Get-ChildItem -Force (Split-Path -Parent $plain)).Name | Should -Be 'plain.txt'
    }
}

Describe 'Decrypting with an empty -Passphrase is PassphraseEmpty, as on backup' {
    BeforeAll {
        $script:PassFolder = New-TestFolder
        $script:Encrypted = Backup-ClutterDatabase -ConnectionString $Url -Destination $PassFolder -Passphrase (ConvertTo-SecureString 'Empty-Test-Pa55' -AsPlainText -Force)
        $script:EmptyPass = [securestring]::new()
    }

    It 'Restore-ClutterDatabase: PassphraseEmpty, target untouched' {
        $target = New-TestDatabase -Prefix 'emptypass'
        $f = Get-Failure { $Encrypted | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -Passphrase $EmptyPass -Confirm:$false }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'PassphraseEmpty,*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $f.Error.Exception.Message | Should -Match 'passphrase is empty'
        Invoke-TestPsql -Database $target -Command "select count(*) from pg_tables where schemaname = 'public'" | Should -Be 0
    }

    It 'Test-ClutterBackup: PassphraseEmpty, no verification output' {
        $out = @()
        $f = Get-Failure { $out += @($Encrypted | Test-ClutterBackup -Passphrase $EmptyPass) }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'PassphraseEmpty,*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $out.Count | Should -Be 0
    }

    It 'Unprotect-ClutterFile: PassphraseEmpty, no output file' {
        $dest = Join-Path (New-TestFolder) 'out.dump.zst'
        $f = Get-Failure { Unprotect-ClutterFile -Path $Encrypted.Location -Destination $dest -Passphrase $EmptyPass }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'PassphraseEmpty,*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        @(Get-ChildItem -Force (Split-Path -Parent $dest)).Count | Should -Be 0
    }
}

Describe 'Locations and manifests that are not what they should be say so in our own words' {
    It 'Get-ClutterBackup on a file: LocationNotFolder says it is a file, not that it does not exist' {
        $file = Join-Path (New-TestFolder) 'a-backup.dump.zst'
        Set-Content -LiteralPath $file -Value 'x'
        $f = Get-Failure { Get-ClutterBackup $file }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'LocationNotFolder,*'
        $f.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $f.Error.Exception.Message | Should -Match 'is a file, not a folder'
        $f.Error.Exception.Message | Should -Not -Match 'does not exist'
    }

    It 'a damaged manifest: ManifestInvalid says it is damaged and what to do, the parser detail at most a short tail' {
        $folder = New-TestFolder
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination $folder
        Set-Content -LiteralPath $b.ManifestLocation -Value '{ "manifestVersion": 1, this is not json'
        $target = New-TestDatabase -Prefix 'dmgmani'
        $f = Get-Failure { Restore-ClutterDatabase -Location $b.Location -TargetConnectionString (Get-TestPgUrl $target) -Confirm:$false }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'ManifestInvalid,*'
        $message = $f.Error.Exception.Message
        $message | Should -Match 'is damaged'
        $message | Should -Match 'another backup'
        $message | Should -Not -Match 'BytePositionInLine|Path: \$|invalid start of'
        $message | Should -Match 'at line 1, byte \d+\)$'
        Invoke-TestPsql -Database $target -Command "select count(*) from pg_tables where schemaname = 'public'" | Should -Be 0
    }

    It 'Test-ClutterBackupAge -MaxAge <Value>: the duration''s own message, not PowerShell''s "Cannot convert value"' -ForEach @(
        @{ Value = '-2d'; Says = 'is negative' }
        @{ Value = 'abc'; Says = 'is not a duration' }
        @{ Value = '48'; Says = 'has no unit' }
    ) {
        $f = Get-Failure { Test-ClutterBackupAge $Folder -MaxAge $Value }
        $f.Error.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
        $f.Error.Exception.Message | Should -Match $Says
        $f.Error.Exception.Message | Should -Not -Match 'Cannot convert value'
    }
}
