# A runbook that also imports AWS.Tools.S3 has another AWSSDK.Core in the process. Here AWSSDK.Core and
# AWSSDK.S3 3.7 (from NuGet) load first with Add-Type and talk to the S3 test server; then ClutterDR (AWSSDK 4
# in its private context) backs up to S3, lists and restores; then the 3.7 client works on. The negative
# control loads the engine straight into the default context first, as a flat module without isolation would.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:ModuleDir = Split-Path -Parent $env:CLUTTERDR_MODULE_PATH
    $coreDir, $s3Dir = & (Join-Path $PSScriptRoot '_Get-NuGetPackage.ps1') -Package 'AWSSDK.Core/3.7.501.1', 'AWSSDK.S3/3.7.511.8'
    $script:OldSdk = @((Join-Path $coreDir 'lib/net8.0/AWSSDK.Core.dll'), (Join-Path $s3Dir 'lib/net8.0/AWSSDK.S3.dll'))
    $script:Db = New-TestDatabase -Prefix 'coex' -Sql 'create table t as select g as id from generate_series(1, 777) g'

    $script:Scenario = {
        param($OldSdk, $Module, $Endpoint, $AccessKey, $SecretKey, $Url, $TargetUrl, $EngineInDefaultContext)
        $ErrorActionPreference = 'Stop'
        $r = [ordered]@{}
        Add-Type -Path $OldSdk
        # Negative control only: the engine in the default context binds to the AWSSDK already there.
        if ($EngineInDefaultContext) { $null = [System.Reflection.Assembly]::LoadFrom($EngineInDefaultContext) }
        $config = [Amazon.S3.AmazonS3Config]::new()
        $config.ServiceURL = $Endpoint
        $config.ForcePathStyle = $true
        $old = [Amazon.S3.AmazonS3Client]::new([Amazon.Runtime.BasicAWSCredentials]::new($AccessKey, $SecretKey), $config)
        $bucket = 'coex-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
        $null = $old.PutBucketAsync($bucket).GetAwaiter().GetResult()
        $r.OldVersion = [Amazon.S3.AmazonS3Client].Assembly.GetName().Version.ToString()
        $r.OldSeesBucket = @($old.ListBucketsAsync().GetAwaiter().GetResult().Buckets.BucketName) -contains $bucket

        try {
            Import-Module $Module
            $b = Backup-ClutterDatabase -ConnectionString $Url -Destination "s3://$bucket/db" -EndpointUrl $Endpoint
            $r.BackupRows = $b.Tables[0].Rows
            $r.Listed = @(Get-ClutterBackup "s3://$bucket/db" -EndpointUrl $Endpoint).Count
            $restored = Restore-ClutterDatabase -Location $b.Location -TargetConnectionString $TargetUrl -CreateDatabase -EndpointUrl $Endpoint -Confirm:$false
            $r.RestoreVerified = $restored.Verified
            $r.RestoredRows = $restored.Tables[0].ActualRows
        } catch {
            $r.Error = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)"
        }

        # The 3.7 client after ClutterDR ran: still works, and sees what ClutterDR wrote.
        $request = [Amazon.S3.Model.ListObjectsV2Request]::new()
        $request.BucketName = $bucket
        $r.OldListsKeys = @($old.ListObjectsV2Async($request).GetAwaiter().GetResult().S3Objects).Count
        $r.TypeStillOld = [Amazon.Runtime.BasicAWSCredentials].Assembly.GetName().Version.Major -eq 3
        $r.Cores = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'AWSSDK.Core' } | ForEach-Object {
                $alc = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_)
                '{0}@{1}' -f $_.GetName().Version, ($alc -eq [System.Runtime.Loader.AssemblyLoadContext]::Default ? 'Default' : $alc.Name)
            } | Sort-Object)
        [pscustomobject]$r
    }
}

Describe 'ClutterDR beside another AWSSDK.Core in one process' {
    It 'AWSSDK 3.7 loaded first: ClutterDR backs up to S3, lists and restores, and the 3.7 client keeps working' {
        $target = "coex_t_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = & $Pwsh -NoProfile -NonInteractive -Command $Scenario -args $OldSdk, $env:CLUTTERDR_MODULE_PATH, $S3Endpoint,
            $env:CLUTTERDR_TEST_S3_ACCESS_KEY, $env:CLUTTERDR_TEST_S3_SECRET_KEY, (Get-TestPgUrl $Db), (Get-TestPgUrl $target)
        $LASTEXITCODE | Should -Be 0
        $r.OldVersion | Should -BeLike '3.*'
        $r.OldSeesBucket | Should -BeTrue
        $r.PSObject.Properties['Error'] | Should -BeNullOrEmpty
        $r.BackupRows | Should -Be 777
        $r.Listed | Should -Be 1
        $r.RestoreVerified | Should -BeTrue
        $r.RestoredRows | Should -Be 777
        Invoke-TestPsql -Database $target -Command 'select count(*) from t' | Should -Be 777
        $r.OldListsKeys | Should -Be 2 -Because 'the 3.7 client lists the backup and its manifest'
        $r.TypeStillOld | Should -BeTrue
        $r.Cores | Should -Be @('3.3.0.0@Default', '4.0.0.0@ClutterDR')
    }

    It 'negative control: with the engine in the default context, ClutterDR cannot load its AWSSDK then' {
        $target = "coex_n_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $engine = Join-Path (Join-Path (Join-Path $ModuleDir 'bin') 'lib') 'ClutterDR.Engine.dll'
        $r = & $Pwsh -NoProfile -NonInteractive -Command $Scenario -args $OldSdk, $env:CLUTTERDR_MODULE_PATH, $S3Endpoint,
            $env:CLUTTERDR_TEST_S3_ACCESS_KEY, $env:CLUTTERDR_TEST_S3_SECRET_KEY, (Get-TestPgUrl $Db), (Get-TestPgUrl $target), $engine
        $r.Error | Should -Match "AWSSDK\.(S3|Core), Version=4\.0\.0\.0"
        $r.OldListsKeys | Should -Be 0
    }
}
