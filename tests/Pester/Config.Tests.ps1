# Backup-/Restore-ClutterConfiguration as users call them: environment variables (encrypted, or refused in the clear),
# a JSON document from a real HTTP server on 127.0.0.1 that checks the bearer token, a git bundle of a real repository
# that clones back identical, files; to a folder and to the real S3 server (Ceph RGW); listed by Get-ClutterBackup -Kind Config.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    . (Join-Path $PSScriptRoot '_TestListener.ps1')
    $script:L = Start-TestListener
    $script:Token = "tok-$([guid]::NewGuid().ToString('N'))"
    $L.State.Token = $Token
    $L.State.Document = '{"project":{"ref":"abcd","region":"eu-west-1","auth":{"site_url":"https://app.example.com"}}}'
    $script:Root = New-TestFolder
    $script:Secret = "env-secret-$([guid]::NewGuid().ToString('N'))"
    $env:CLUTTERDR_CFGTEST_DATABASE_URL = "postgresql://u:$Secret@db/app"
    $env:CLUTTERDR_CFGTEST_MODE = 'production'
    $script:Pass = ConvertTo-SecureString "cfg-pass-$([guid]::NewGuid().ToString('N'))" -AsPlainText -Force
    $script:Bearer = ConvertTo-SecureString $Token -AsPlainText -Force

    # A small git repository with two commits on two branches and a tag.
    $script:Repo = Join-Path $Root 'repo'
    $null = New-Item -ItemType Directory -Path $Repo
    function Invoke-Git { & git -C $Repo -c user.email=t@example.com -c user.name=t @args 2>&1; if ($LASTEXITCODE) { throw "git $args failed" } }
    $null = Invoke-Git init -q -b main
    Set-Content (Join-Path $Repo 'app.toml') 'name = "app"'
    $null = Invoke-Git add -A; $null = Invoke-Git commit -q -m one
    $null = Invoke-Git checkout -q -b feature
    Set-Content (Join-Path $Repo 'feature.txt') 'more'
    $null = Invoke-Git add -A; $null = Invoke-Git commit -q -m two
    $null = Invoke-Git tag v1
    $null = Invoke-Git checkout -q main
    $script:File = Join-Path $Root 'railway.json'
    Set-Content $File '{"build":{"builder":"NIXPACKS"}}'
}
AfterAll {
    Stop-TestListener $L
    Remove-Item Env:CLUTTERDR_CFGTEST_DATABASE_URL, Env:CLUTTERDR_CFGTEST_MODE -ErrorAction Ignore
}

Describe 'Backup-ClutterConfiguration' {
    It 'round trip to a folder: variables, the JSON document, the git bundle and a file' {
        $dest = Join-Path $Root 'repo-folder'
        $info = Backup-ClutterConfiguration -Destination $dest -Name app -EnvironmentVariable 'CLUTTERDR_CFGTEST_*' -Uri "$($L.Url)/config/v1/projects/abcd" -BearerToken $Bearer -GitRepository $Repo -Path $File -Passphrase $Pass
        $info.Kind | Should -Be 'Config'
        $info.Database | Should -Be 'app'
        $info.Format | Should -Be 'Tar'
        $info.Location | Should -BeLike '*app_*.tar.zst.gpg'
        $req = @(Get-TestRequests $L)
        $req[-1].Headers['Authorization'] | Should -BeExactly "Bearer $Token"

        # stored encrypted: the secret is nowhere in the clear
        foreach ($f in Get-ChildItem $dest -Recurse -File) { [IO.File]::ReadAllText($f.FullName) | Should -Not -Match $Secret }

        $listed = @(Get-ClutterBackup $dest -Kind Config)
        $listed.Count | Should -Be 1
        $listed[0].Location | Should -Be $info.Location
        @(Get-ClutterBackup $dest).Count | Should -Be 0 -Because 'the default kind is Database'

        $out = Join-Path $Root 'restored'
        $files = $info | Restore-ClutterConfiguration -Destination $out -Passphrase $Pass
        @($files.Name | Sort-Object) | Should -Be @('contents.json', 'env.json', 'railway.json', 'repo-1.bundle', 'uri-1.json')
        $envs = Get-Content (Join-Path $out 'env.json') -Raw | ConvertFrom-Json
        $envs.CLUTTERDR_CFGTEST_DATABASE_URL | Should -BeExactly $env:CLUTTERDR_CFGTEST_DATABASE_URL
        $envs.CLUTTERDR_CFGTEST_MODE | Should -Be 'production'
        (Get-Content (Join-Path $out 'uri-1.json') -Raw | ConvertFrom-Json).project.region | Should -Be 'eu-west-1'
        Get-Content (Join-Path $out 'files' 'railway.json') -Raw | Should -Be (Get-Content $File -Raw)
        if (-not $IsWindows) { (Get-Item (Join-Path $out 'env.json')).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') }

        # the bundle clones back identical: every ref at the same commit, the same tree
        $clone = Join-Path $Root 'clone'
        & git clone -q --mirror (Join-Path $out 'repo-1.bundle') $clone 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $orig = & git -C $Repo for-each-ref --format='%(refname) %(objectname)' refs/heads refs/tags
        $back = & git -C $clone for-each-ref --format='%(refname) %(objectname)' refs/heads refs/tags
        $back | Should -Be $orig
        & git -C $clone ls-tree -r feature | Should -Be (& git -C $Repo ls-tree -r feature)
    }

    It 'refuses environment variables in the clear, writing nothing, unless -AllowPlaintextSecrets' {
        $dest = Join-Path $Root 'plain'
        { Backup-ClutterConfiguration -Destination $dest -EnvironmentVariable 'CLUTTERDR_CFGTEST_MODE' -ErrorAction Stop } | Should -Throw -ErrorId 'ConfigSecretsNeedEncryption,*'
        Test-Path $dest | Should -BeFalse
        $info = Backup-ClutterConfiguration -Destination $dest -EnvironmentVariable 'CLUTTERDR_CFGTEST_MODE' -AllowPlaintextSecrets -Compression None
        $info.Encryption | Should -Be 'None'
        $files = Restore-ClutterConfiguration $info.Location -Destination (Join-Path $Root 'plain-out')
        (Get-Content ($files | Where-Object Name -eq 'env.json') -Raw | ConvertFrom-Json).CLUTTERDR_CFGTEST_MODE | Should -Be 'production'
    }

    It 'a wrong bearer token: ConfigSourceFailed naming the 401, nothing written' {
        $dest = Join-Path $Root 'badtoken'
        $wrong = ConvertTo-SecureString 'not-the-token' -AsPlainText -Force
        { Backup-ClutterConfiguration -Destination $dest -Uri "$($L.Url)/config/x?apikey=q-SECRET-9" -BearerToken $wrong -ErrorAction Stop } | Should -Throw -ErrorId 'ConfigSourceFailed,*'
        try { Backup-ClutterConfiguration -Destination $dest -Uri "$($L.Url)/config/x?apikey=q-SECRET-9" -BearerToken $wrong -ErrorAction Stop } catch { $e = $_ }
        $e.ToString() | Should -Match '401'
        $e.ToString() | Should -Not -Match 'SECRET|not-the-token'
        @(Get-ChildItem $dest -Recurse -File -ErrorAction Ignore).Count | Should -Be 0
    }

    It 'not a repository: ConfigSourceFailed with git''s message' {
        { Backup-ClutterConfiguration -Destination (Join-Path $Root 'nogit') -GitRepository (Join-Path $Root 'nowhere') -ErrorAction Stop } | Should -Throw -ErrorId 'ConfigSourceFailed,*'
    }

    It 'patterns that match nothing and no source: NothingToBackUpConfig' {
        { Backup-ClutterConfiguration -Destination (Join-Path $Root 'none') -EnvironmentVariable 'NO_SUCH_VAR_*' -AllowPlaintextSecrets -ErrorAction Stop } | Should -Throw -ErrorId 'NothingToBackUpConfig,*'
        { Backup-ClutterConfiguration -Destination (Join-Path $Root 'none') -ErrorAction Stop } | Should -Throw -ErrorId 'NothingToBackUpConfig,*'
    }

    It 'to S3 (RGW), and restores refuse to overwrite without -Force; Restore-ClutterDatabase refuses it' {
        $bucket = New-TestBucket 'cfg'
        $info = Backup-ClutterConfiguration -Destination "s3://$bucket/configs" -EndpointUrl $S3Endpoint -EnvironmentVariable 'CLUTTERDR_CFGTEST_DATABASE_URL' -Path $File -Passphrase $Pass
        $keys = Get-TestS3Keys $bucket
        @($keys | Where-Object { $_ -like '*.manifest.json' }).Count | Should -Be 1
        $got = Get-ClutterBackup "s3://$bucket/configs" -Kind Config -EndpointUrl $S3Endpoint -Latest
        $got.Sha256 | Should -Be $info.Sha256
        $out = Join-Path $Root 's3-out'
        $null = $got | Restore-ClutterConfiguration -Destination $out -Passphrase $Pass -EndpointUrl $S3Endpoint
        (Get-Content (Join-Path $out 'env.json') -Raw | ConvertFrom-Json).CLUTTERDR_CFGTEST_DATABASE_URL | Should -BeExactly $env:CLUTTERDR_CFGTEST_DATABASE_URL
        { $got | Restore-ClutterConfiguration -Destination $out -Passphrase $Pass -EndpointUrl $S3Endpoint -ErrorAction Stop } | Should -Throw -ErrorId 'ConfigFileExists,*'
        $again = $got | Restore-ClutterConfiguration -Destination $out -Passphrase $Pass -EndpointUrl $S3Endpoint -Force
        @($again).Count | Should -Be 3
        { Restore-ClutterDatabase -Location $got.Location -TargetConnectionString (Get-TestPgUrl 'cfgx') -EndpointUrl $S3Endpoint -Passphrase $Pass -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'NotConfigBackup,*'
    }

    It 'audits a configuration backup' {
        $auditDb = New-TestDatabase -Prefix 'cfgaud'
        Initialize-ClutterAuditLog (Get-TestPgUrl $auditDb)
        $info = Backup-ClutterConfiguration -Destination (Join-Path $Root 'aud') -Path $File -AuditConnectionString (Get-TestPgUrl $auditDb)
        $row = @(Get-ClutterAuditLog (Get-TestPgUrl $auditDb))
        $row.Count | Should -Be 1
        $row[0].Type | Should -Be 'config'
        $row[0].Status | Should -Be 'success'
        $row[0].Location | Should -Be $info.Location
        { Backup-ClutterConfiguration -Destination (Join-Path $Root 'aud') -EnvironmentVariable X -AuditConnectionString (Get-TestPgUrl $auditDb) } | Should -Throw -ErrorId 'ConfigSecretsNeedEncryption,*'
        $failed = @(Get-ClutterAuditLog (Get-TestPgUrl $auditDb) -Status failed)
        $failed[0].ErrorId | Should -Be 'ConfigSecretsNeedEncryption'
    }
}
