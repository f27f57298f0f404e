# Encryption interop with real gpg (keys made by gpg itself), encrypted restore, Test-ClutterBackup on
# good, flipped and truncated backups, Protect/Unprotect-ClutterFile, and no secret in any output.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    if (-not (Get-Command gpg -ErrorAction Ignore)) { throw 'gpg is not installed (Debian package gnupg); .ci/run installs it.' }

    $script:GpgHome = Join-Path ([IO.Path]::GetTempPath()) "cdr-gpg-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
    $null = New-Item -ItemType Directory -Path $GpgHome
    if (-not $IsWindows) { chmod 700 $GpgHome }
    $script:KeyPass = 'Key-Pa55phrase-7731'        # protects the ed25519 private key
    $script:BackupPass = 'Backup-Pa55phrase-4409'  # symmetric backups
    $script:Keys = New-TestFolder

    function Invoke-Gpg {
        param([string[]]$Arguments, [string]$InputFile)
        $psi = [Diagnostics.ProcessStartInfo]::new('gpg')
        foreach ($a in @('--homedir', $GpgHome, '--batch', '--yes', '--quiet', '--pinentry-mode', 'loopback') + $Arguments) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardError = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
        $p = [Diagnostics.Process]::Start($psi)
        $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEnd(); $p.WaitForExit()
        if ($p.ExitCode -ne 0) { throw "gpg $($Arguments -join ' ') failed ($($p.ExitCode)): $err" }
        $out.Result
    }

    # RSA-3072 with an encryption subkey, no passphrase; ed25519 + cv25519 subkey with a passphrase.
    Set-Content -Path (Join-Path $Keys 'rsa.batch') -Value @"
%no-protection
Key-Type: RSA
Key-Length: 3072
Key-Usage: sign
Subkey-Type: RSA
Subkey-Length: 3072
Subkey-Usage: encrypt
Name-Real: Ops RSA
Name-Email: ops-rsa@example.com
Expire-Date: 0
%commit
"@
    $null = Invoke-Gpg @('--gen-key', (Join-Path $Keys 'rsa.batch'))
    $null = Invoke-Gpg @('--passphrase', $KeyPass, '--quick-gen-key', 'Ops Ed <ops-ed@example.com>', 'ed25519', 'sign', '0')
    $script:EdFpr = ((Invoke-Gpg @('--with-colons', '--list-keys', 'ops-ed@example.com')) -split "`n" | Where-Object { $_ -like 'fpr:*' } | Select-Object -First 1).Split(':')[9]
    $null = Invoke-Gpg @('--passphrase', $KeyPass, '--quick-add-key', $EdFpr, 'cv25519', 'encr', '0')
    $script:RsaFpr = ((Invoke-Gpg @('--with-colons', '--list-keys', 'ops-rsa@example.com')) -split "`n" | Where-Object { $_ -like 'fpr:*' } | Select-Object -First 1).Split(':')[9]

    # Armored RSA files, binary ed25519 files: both forms are exercised.
    $script:RsaPub = Join-Path $Keys 'rsa.pub.asc'; $null = Invoke-Gpg @('--armor', '--output', $RsaPub, '--export', $RsaFpr)
    $script:RsaSec = Join-Path $Keys 'rsa.sec.asc'; $null = Invoke-Gpg @('--armor', '--output', $RsaSec, '--export-secret-keys', $RsaFpr)
    $script:EdPub = Join-Path $Keys 'ed.pub.gpg'; $null = Invoke-Gpg @('--output', $EdPub, '--export', $EdFpr)
    $script:EdSec = Join-Path $Keys 'ed.sec.gpg'; $null = Invoke-Gpg @('--passphrase', $KeyPass, '--output', $EdSec, '--export-secret-keys', $EdFpr)

    $script:SecureKeyPass = ConvertTo-SecureString $KeyPass -AsPlainText -Force
    $script:SecureBackupPass = ConvertTo-SecureString $BackupPass -AsPlainText -Force

    $script:SourceDb = New-TestDatabase -Prefix 'enc' -Sql @"
create table items (id int primary key, label text, blob bytea);
insert into items select g, 'item ' || g || ' ünïcødé', decode(md5(g::text), 'hex') from generate_series(1, 5000) g;
create schema "Odd Schema";
create table "Odd Schema"."Mixed Name" (k text primary key);
insert into "Odd Schema"."Mixed Name" values ('a'), ('b');
"@
    $script:Url = Get-TestPgUrl $SourceDb
    $script:Folder = New-TestFolder
    $script:Bucket = New-TestBucket 'enc'
    $script:Rows = [ordered]@{ 'Odd Schema.Mixed Name' = 2; 'public.items' = 5000 }

    function Assert-ArchiveListsTables([string]$DumpFile) {
        $list = & (Join-Path $PgBin 'pg_restore') --list $DumpFile
        $LASTEXITCODE | Should -Be 0
        @($list | Select-String -SimpleMatch 'TABLE DATA public items').Count | Should -Be 1
        @($list | Select-String -SimpleMatch 'TABLE DATA Odd Schema Mixed Name').Count | Should -Be 1
    }
}

AfterAll {
    if ($script:GpgHome) {
        & gpgconf --homedir $GpgHome --kill gpg-agent 2>$null
        Remove-Item -Recurse -Force $GpgHome -ErrorAction Ignore
    }
}

Describe 'Encrypted backups that plain gpg decrypts' {
    It 'to <Name>: gpg --decrypt gives a dump pg_restore --list reads' -ForEach @(
        @{ Name = 'an RSA-3072 key (armored key file)'; Recipient = 'RsaPub'; GpgArgs = @() }
        @{ Name = 'an ed25519/cv25519 key (binary key file)'; Recipient = 'EdPub'; GpgArgs = @('--passphrase', 'Key-Pa55phrase-7731') }
    ) {
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination $Folder -Compression None -Recipient (Get-Variable $Recipient -ValueOnly)
        $b.Location | Should -BeLike '*.dump.gpg'
        $b.Encryption | Should -Be 'OpenPgp (PublicKey)'
        $b.Recipients | Should -Be @($(if ($Recipient -eq 'RsaPub') { $RsaFpr } else { $EdFpr }))
        $out = Join-Path $Folder "gpg-$Recipient.dump"
        $null = Invoke-Gpg ($GpgArgs + @('--output', $out, '--decrypt', $b.Location))
        Assert-ArchiveListsTables $out
        (Get-FileHash -LiteralPath $b.Location -Algorithm SHA256).Hash | Should -Be $b.Sha256.ToUpperInvariant()
    }

    It 'with a passphrase: gpg --decrypt with that passphrase, then zstd -d, gives the dump' {
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination $Folder -Passphrase $SecureBackupPass
        $b.Location | Should -BeLike '*.dump.zst.gpg'
        $b.Encryption | Should -Be 'OpenPgp (Passphrase)'
        $zst = Join-Path $Folder 'pass.dump.zst'
        $null = Invoke-Gpg @('--passphrase', $BackupPass, '--output', $zst, '--decrypt', $b.Location)
        & zstd -q -d -f $zst -o (Join-Path $Folder 'pass.dump')
        $LASTEXITCODE | Should -Be 0
        Assert-ArchiveListsTables (Join-Path $Folder 'pass.dump')
    }

    It 'the manifest records mode, cipher and fingerprints, never a key' {
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination $Folder -Recipient $RsaPub, $EdPub
        $json = Get-Content -Raw -LiteralPath $b.ManifestLocation
        $m = $json | ConvertFrom-Json
        $m.encryption.mode | Should -Be 'OpenPgp'
        $m.encryption.method | Should -Be 'PublicKey'
        $m.encryption.algorithm | Should -Be 'AES256'
        @($m.encryption.recipientFingerprints) | Should -Be @($RsaFpr, $EdFpr)
        $json | Should -Not -Match 'BEGIN PGP'
        $json.Length | Should -BeLessThan 4000
    }
}

Describe 'Restoring and testing encrypted backups' {
    BeforeAll {
        $script:ToBoth = Backup-ClutterDatabase -ConnectionString $Url -Destination "s3://$Bucket/db" -EndpointUrl $S3Endpoint -Recipient $RsaPub, $EdPub
        $script:WithPass = Backup-ClutterDatabase -ConnectionString $Url -Destination "s3://$Bucket/db" -EndpointUrl $S3Endpoint -Passphrase $SecureBackupPass -Format Plain
    }

    It 'restores from S3 with <Name>' -ForEach @(
        @{ Name = 'the RSA private key (armored, no passphrase)'; Use = 'rsa' }
        @{ Name = 'the ed25519 private key (binary, with its passphrase)'; Use = 'ed' }
        @{ Name = 'the backup passphrase (plain format)'; Use = 'pass' }
    ) {
        $target = "encr_${Use}_$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        $r = switch ($Use) {
            'rsa' { $ToBoth | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -PrivateKey $RsaSec -Confirm:$false }
            'ed' { $ToBoth | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -PrivateKey $EdSec -PrivateKeyPassphrase $SecureKeyPass -Confirm:$false }
            'pass' { $WithPass | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -Passphrase $SecureBackupPass -Confirm:$false }
        }
        $r.Verified | Should -BeTrue
        $r.Tables.Count | Should -Be 2
        (Get-TestTableHashes $target) | ConvertTo-Json | Should -Be ((Get-TestTableHashes $SourceDb) | ConvertTo-Json)
    }

    It 'Backup-ClutterDatabase | Test-ClutterBackup -Deep passes with no glue' {
        $v = Backup-ClutterDatabase -ConnectionString $Url -Destination "s3://$Bucket/db" -EndpointUrl $S3Endpoint -Recipient $EdPub |
            Test-ClutterBackup -PrivateKey $EdSec -PrivateKeyPassphrase $SecureKeyPass -Deep
        $v.Status | Should -Be 'Passed'
        ($v.Checks | ForEach-Object { "$($_.Name)=$($_.Status)" }) -join ',' | Should -Be 'Manifest=Passed,Size=Passed,Checksum=Passed,Decrypt=Passed,Decompress=Passed,Archive=Passed'
        $v.Backup.Database | Should -Be $SourceDb
    }

    It 'without a key it checks size and SHA-256 and says decryption was skipped' {
        $v = $ToBoth | Test-ClutterBackup
        $v.Status | Should -Be 'Passed'
        ($v.Checks | Where-Object Name -eq 'Decrypt').Status | Should -Be 'Skipped'
        ($v.Checks | Where-Object Name -eq 'Checksum').Status | Should -Be 'Passed'
    }

    It 'a key that is not a recipient: DecryptionKeyMismatch, before the target is touched' {
        $only = Backup-ClutterDatabase -ConnectionString $Url -Destination $Folder -Recipient $RsaPub
        $target = "encm_$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        $errors = @()
        $only | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -PrivateKey $EdSec -PrivateKeyPassphrase $SecureKeyPass -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'DecryptionKeyMismatch*'
        $errors[0].Exception.Message | Should -Match $RsaFpr
        (Invoke-TestPsql -Command "select count(*) from pg_database where datname = '$target'") | Should -Be '0'
    }

    It 'a wrong passphrase: DecryptionFailed, and it is in no output' {
        $wrong = 'Not-The-Pa55phrase-0021'
        $errors = @()
        $text = $WithPass | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl "encw_x") -CreateDatabase -Passphrase (ConvertTo-SecureString $wrong -AsPlainText -Force) -Confirm:$false -Verbose -ErrorVariable errors -ErrorAction SilentlyContinue *>&1 | Out-String
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'DecryptionFailed*'
        ($text + ($errors | Out-String)) | Should -Not -Match $wrong
        (Invoke-TestPsql -Command "select count(*) from pg_database where datname = 'encw_x'") | Should -Be '0'
    }

    It 'an encrypted backup without a key: DecryptionKeyRequired that names the option' {
        $errors = @()
        $ToBoth | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl 'encn_x') -CreateDatabase -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'DecryptionKeyRequired*'
        $errors[0].Exception.Message | Should -Match '-PrivateKey'
    }

    It 'no passphrase, key or password appears in any stream, manifest or error' {
        $text = & {
            $b = Backup-ClutterDatabase -ConnectionString $Url -Destination $Folder -Passphrase $SecureBackupPass -Recipient $EdPub -Verbose
            $b | Format-List * | Out-String
            $b | Test-ClutterBackup -PrivateKey $EdSec -PrivateKeyPassphrase $SecureKeyPass -Deep -Verbose | Format-List * | Out-String
            $b | Test-ClutterBackup -Passphrase $SecureBackupPass -Verbose | ForEach-Object Checks | Out-String
            $b | Test-ClutterBackup -PrivateKey $EdSec -PrivateKeyPassphrase (ConvertTo-SecureString 'wrong-key-pass' -AsPlainText -Force) -ErrorAction Continue 2>&1 | Out-String
            Get-Content -Raw -LiteralPath $b.ManifestLocation
        } *>&1 | Out-String
        $text | Should -Match 'Decrypt'
        foreach ($secret in @($KeyPass, $BackupPass, $env:CLUTTERDR_TEST_PG_PASSWORD)) { $text | Should -Not -Match ([regex]::Escape($secret)) }
        $text | Should -Not -MatchExactly "BEGIN PGP PRIVATE KEY"
    }
}

Describe 'Damaged backups' {
    BeforeEach {
        $script:Damaged = Backup-ClutterDatabase -ConnectionString $Url -Destination (New-TestFolder) -Recipient $RsaPub
        $script:Target = "encd_$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        Invoke-TestPsql -Command "create database $Target" | Out-Null
        Invoke-TestPsql -Database $Target -Command 'create table items (id int primary key, label text, blob bytea); insert into items values (1, ''keep me'', null);' | Out-Null
        $script:Before = Get-TestTableHashes $Target
    }

    It '<Name>: Test-ClutterBackup fails with <ErrorId>; Restore fails and leaves the target as it was' -ForEach @(
        @{ Name = 'one flipped byte'; ErrorId = 'ChecksumMismatch'; Damage = { param($p) $b = [IO.File]::ReadAllBytes($p); $b[[int]($b.Length / 2)] = $b[[int]($b.Length / 2)] -bxor 0x40; [IO.File]::WriteAllBytes($p, $b) } }
        @{ Name = 'a flipped byte in the OpenPGP header'; ErrorId = 'ChecksumMismatch'; Damage = { param($p) $b = [IO.File]::ReadAllBytes($p); $b[20] = $b[20] -bxor 0x01; [IO.File]::WriteAllBytes($p, $b) } }
        @{ Name = 'a truncated object'; ErrorId = 'BackupTruncated'; Damage = { param($p) $fs = [IO.File]::Open($p, 'Open'); $fs.SetLength([long]($fs.Length * 0.6)); $fs.Dispose() } }
    ) {
        & $Damage $Damaged.Location
        $errors = @()
        $v = $Damaged | Test-ClutterBackup -PrivateKey $RsaSec -ErrorVariable errors -ErrorAction SilentlyContinue
        $v.Status | Should -Be 'Failed'
        $errors.FullyQualifiedErrorId | Should -BeLike "$ErrorId*"
        ($v.Checks | Where-Object Status -eq 'Failed').ErrorId | Should -Contain $ErrorId

        $v2 = $Damaged | Test-ClutterBackup -ErrorAction SilentlyContinue   # without the key too
        $v2.Status | Should -Be 'Failed'

        $rerrors = @()
        $Damaged | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $Target) -Clean -PrivateKey $RsaSec -Confirm:$false -ErrorVariable rerrors -ErrorAction SilentlyContinue
        $rerrors[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId*"
        (Get-TestTableHashes $Target) | ConvertTo-Json | Should -Be ($Before | ConvertTo-Json)
    }
}

Describe 'Protect-ClutterFile and Unprotect-ClutterFile' {
    BeforeAll {
        $script:Files = New-TestFolder
        $script:Plain = Join-Path $Files 'app.conf'
        $bytes = [byte[]]::new(3MB + 17); [Random]::new(7).NextBytes($bytes); [IO.File]::WriteAllBytes($Plain, $bytes)
        $script:PlainHash = (Get-FileHash $Plain).Hash
    }

    It 'a file gpg encrypted <Name> decrypts byte-identical' -ForEach @(
        @{ Name = 'to the RSA key'; GpgArgs = @('--recipient', 'ops-rsa@example.com', '--encrypt'); Ext = '.gpg'; Key = 'rsa' }
        @{ Name = 'to the ed25519 key, armored'; GpgArgs = @('--armor', '--recipient', 'ops-ed@example.com', '--encrypt'); Ext = '.asc'; Key = 'ed' }
        @{ Name = 'with a passphrase (--symmetric, AES256)'; GpgArgs = @('--symmetric', '--cipher-algo', 'AES256', '--passphrase', 'Backup-Pa55phrase-4409'); Ext = '.gpg'; Key = 'pass' }
    ) {
        $enc = Join-Path $Files "by-gpg-$Key.conf$Ext"
        $null = Invoke-Gpg (@('--trust-model', 'always', '--output', $enc) + $GpgArgs + @($Plain))
        $out = Join-Path $Files "from-gpg-$Key.conf"
        $f = switch ($Key) {
            'rsa' { Unprotect-ClutterFile -Path $enc -Destination $out -PrivateKey $RsaSec }
            'ed' { Unprotect-ClutterFile -LiteralPath $enc -Destination $out -PrivateKey $EdSec -PrivateKeyPassphrase $SecureKeyPass }
            'pass' { Unprotect-ClutterFile -Path $enc -Destination $out -Passphrase $SecureBackupPass }
        }
        $f.FullName | Should -Be $out
        $f.PSIsContainer | Should -BeFalse          # a file as Get-Item gives it (Mode, PSPath, ...)
        (Get-FileHash $out).Hash | Should -Be $PlainHash
        if (-not $IsWindows) { (Get-Item $out).UnixMode | Should -Be '-rw-------' }
    }

    It 'Protect-ClutterFile output gpg decrypts byte-identical (<Name>)' -ForEach @(
        @{ Name = 'recipients, binary'; Armor = $false; Key = 'rec' }
        @{ Name = 'passphrase, armored'; Armor = $true; Key = 'pass' }
    ) {
        $src = Join-Path $Files "to-gpg-$Key.conf"
        Copy-Item $Plain $src
        $f = if ($Key -eq 'rec') { Protect-ClutterFile -Path $src -Recipient $RsaPub, $EdPub -Armor:$Armor } else { Protect-ClutterFile -Path $src -Passphrase $SecureBackupPass -Armor:$Armor }
        $f.FullName | Should -Be ($src + $(if ($Armor) { '.asc' } else { '.gpg' }))
        if ($Armor) { (Get-Content -LiteralPath $f.FullName -TotalCount 1) | Should -Be '-----BEGIN PGP MESSAGE-----' }
        $out = Join-Path $Files "from-clutter-$Key.conf"
        $gpgArgs = if ($Key -eq 'rec') { @() } else { @('--passphrase', $BackupPass) }
        $null = Invoke-Gpg ($gpgArgs + @('--output', $out, '--decrypt', $f.FullName))
        (Get-FileHash $out).Hash | Should -Be $PlainHash
        # and back again with Unprotect-ClutterFile, to the default name beside it
        Remove-Item $src
        $back = if ($Key -eq 'rec') { Unprotect-ClutterFile -Path $f.FullName -PrivateKey $EdSec -PrivateKeyPassphrase $SecureKeyPass } else { Unprotect-ClutterFile -Path $f.FullName -Passphrase $SecureBackupPass }
        $back.FullName | Should -Be $src
        (Get-FileHash $src).Hash | Should -Be $PlainHash
    }

    It 'refuses to overwrite without -Force, and overwrites with it' {
        $src = Join-Path $Files 'force.conf'
        Copy-Item $Plain $src
        Set-Content -LiteralPath "$src.gpg" -Value 'existing'
        $errors = @()
        Protect-ClutterFile -Path $src -Passphrase $SecureBackupPass -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'DestinationExists*'
        $errors[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        (Get-Content -LiteralPath "$src.gpg") | Should -Be 'existing'
        (Protect-ClutterFile -Path $src -Passphrase $SecureBackupPass -Force).Length | Should -BeGreaterThan 3MB
        @(Get-ChildItem -LiteralPath $Files -Force -Filter '*.partial').Count | Should -Be 0
    }

    It 'a wrong passphrase leaves no output file' {
        $enc = Protect-ClutterFile -Path $Plain -Destination (Join-Path $Files 'wrong.gpg') -Passphrase $SecureBackupPass
        $errors = @()
        Unprotect-ClutterFile -Path $enc.FullName -Destination (Join-Path $Files 'wrong.out') -Passphrase (ConvertTo-SecureString 'nope' -AsPlainText -Force) -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'DecryptionFailed*'
        Test-Path (Join-Path $Files 'wrong.out') | Should -BeFalse
        @(Get-ChildItem -LiteralPath $Files -Force -Filter '*.partial').Count | Should -Be 0
    }

    It 'streams: a file far larger than the memory the process uses' {
        $big = Join-Path $Files 'big.bin'
        $fs = [IO.File]::Create($big); $fs.SetLength(600MB); $fs.Dispose()
        $script = @"
Import-Module '$env:CLUTTERDR_MODULE_PATH'
`$p = ConvertTo-SecureString 'x-pass' -AsPlainText -Force
`$e = Protect-ClutterFile -LiteralPath '$big' -Passphrase `$p
`$d = Unprotect-ClutterFile -LiteralPath `$e.FullName -Destination '$big.out' -Passphrase `$p
[Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
"@
        $peak = [long](& (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script | Select-Object -Last 1)
        (Get-Item "$big.out").Length | Should -Be 600MB
        (Get-FileHash "$big.out").Hash | Should -Be (Get-FileHash $big).Hash
        $peak | Should -BeLessThan 400MB
        Remove-Item $big, "$big.gpg", "$big.out"
    }
}
