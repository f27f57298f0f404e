# Tab completion as an admin presses Tab (TabExpansion2), against the real S3 server and PostgreSQL:
# buckets and prefixes for -Location / -Destination, backups for Restore -Location, database names for -Database.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $tag = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:BucketA = New-TestBucket -Prefix "tab$tag-a"
    $script:BucketB = New-TestBucket -Prefix "tab$tag-b"
    $script:Db = New-TestDatabase -Prefix "tab$tag" -Sql 'create table t (id int); insert into t values (1)'
    $script:Url = Get-TestPgUrl $Db
    $script:Backup = Backup-ClutterDatabase -ConnectionString $Url -Destination "s3://$BucketA/nightly" -EndpointUrl $S3Endpoint
    $script:Folder = New-TestFolder
    $null = Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Folder 'repo')
    $script:Tag = $tag

    function script:Complete([string]$Line) {
        $r = TabExpansion2 -inputScript $Line -cursorColumn $Line.Length
        @($r.CompletionMatches | ForEach-Object CompletionText)
    }
}

AfterAll {
    Remove-Item -Recurse -Force $Folder -ErrorAction SilentlyContinue
    Remove-Item Function:\Invoke-ClutterDbProbe -ErrorAction SilentlyContinue
}

Describe 'S3 locations' {
    It 'completes bucket names after s3:// (Get-ClutterBackup -Location, endpoint from -EndpointUrl)' {
        $m = Complete "Get-ClutterBackup -EndpointUrl $S3Endpoint -Location s3://"
        $m | Should -Contain "s3://$BucketA/"
        $m | Should -Contain "s3://$BucketB/"
    }

    It 'completes a partly typed bucket name, and only the buckets it starts' {
        $m = Complete "Backup-ClutterDatabase -EndpointUrl $S3Endpoint -Destination s3://tab$Tag-a"
        $m | Should -Be @("s3://$BucketA/")
    }

    It 'completes prefixes one level at a time (Test-ClutterBackupAge -Location)' {
        Complete "Test-ClutterBackupAge -EndpointUrl $S3Endpoint -Location s3://$BucketA/" | Should -Be @("s3://$BucketA/nightly/")
        Complete "Test-ClutterBackupAge -EndpointUrl $S3Endpoint -Location s3://$BucketA/ni" | Should -Be @("s3://$BucketA/nightly/")
        Complete "Test-ClutterBackupAge -EndpointUrl $S3Endpoint -Location s3://$BucketA/nightly/" | Should -Be @("s3://$BucketA/nightly/$Db/")
    }

    It 'offers the complete backups (not their manifests) for Restore-ClutterDatabase -Location' {
        $m = Complete "Restore-ClutterDatabase -EndpointUrl $S3Endpoint -Location s3://$BucketA/nightly/$Db/"
        $m | Should -Be @($Backup.Location)
    }

    It 'reads the endpoint from a variable on the command line' {
        $endpoint = $S3Endpoint
        Complete ('Get-ClutterBackup -EndpointUrl $endpoint -Location s3://tab' + $Tag + '-b') | Should -Be @("s3://$BucketB/")
    }

    It 'uses AWS_ENDPOINT_URL_S3 when -EndpointUrl is not on the command line' {
        $env:AWS_ENDPOINT_URL_S3 = $S3Endpoint
        try { $m = Complete "Backup-ClutterDatabase -Destination s3://tab$Tag-" }
        finally { Remove-Item Env:AWS_ENDPOINT_URL_S3 }
        ($m | Sort-Object) | Should -Be @("s3://$BucketA/", "s3://$BucketB/")
    }

    It 'offers nothing, quickly and without an error, when the endpoint does not answer' {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $Error.Clear()
        $m = @(Complete 'Get-ClutterBackup -EndpointUrl http://127.0.0.1:9 -Location s3://')
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 5
        $m.Count | Should -Be 0
        $Error.Count | Should -Be 0
    }

    It 'leaves a folder path to PowerShell''s path completion' {
        Push-Location $Folder
        try { $m = Complete 'Get-ClutterBackup -Location ./re' }
        finally { Pop-Location }
        $m | Should -Contain './repo'
    }
}

Describe 'Database names' {
    It 'completes the databases backed up under an S3 -Location (Get-ClutterBackup -Database)' {
        $prefix = $Db.Substring(0, 9)
        Complete "Get-ClutterBackup -EndpointUrl $S3Endpoint -Location s3://$BucketA/nightly -Database $prefix" | Should -Be @($Db)
    }

    It 'completes the databases backed up under a relative folder -Location (Test-ClutterBackupAge -Database)' {
        Push-Location $Folder
        try { $m = Complete 'Test-ClutterBackupAge -Location ./repo -Database ' }
        finally { Pop-Location }
        $m | Should -Be @($Db)
    }

    It 'completes the databases on the server when a connection string is bound' {
        # No shipped cmdlet has -ConnectionString beside -Database yet; a probe function uses the same completer
        # (reached through the cmdlet assembly: the type may live in the module's own load context).
        $type = (Get-Command Get-ClutterBackup).ImplementingType.Assembly.GetType('ClutterDR.Commands.Completers.DatabaseNameCompleter')
        $completer = $type::new()
        function global:Invoke-ClutterDbProbe { param([string]$ConnectionString, [string]$Database) }
        Register-ArgumentCompleter -CommandName Invoke-ClutterDbProbe -ParameterName Database -ScriptBlock {
            param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
            $completer.CompleteArgument($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
        }.GetNewClosure()
        $url = $Url
        $m = Complete ('Invoke-ClutterDbProbe -ConnectionString $url -Database tab' + $Tag)
        $m | Should -Be @($Db)
        Complete 'Invoke-ClutterDbProbe -ConnectionString $url -Database postg' | Should -Be @('postgres')
        Complete 'Invoke-ClutterDbProbe -ConnectionString postgresql://nobody@127.0.0.1:9/x -Database p' | Should -BeNullOrEmpty
    }
}
