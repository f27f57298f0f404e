# Ctrl+C on a running backup: StopProcessing stops pg_dump, aborts the upload and leaves no manifest.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Db = New-TestDatabase -Prefix 'stop' -Sql "create table big as select g, md5(g::text) || repeat(md5(random()::text), 16) as t from generate_series(1, 300000) g"
}

Describe 'Stopping Backup-ClutterDatabase' {
    It 'stops pg_dump and leaves no object and no manifest' {
        $bucket = New-TestBucket
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($Module, $Url, $Destination, $Endpoint)
                Import-Module $Module
                Backup-ClutterDatabase -ConnectionString $Url -Destination $Destination -EndpointUrl $Endpoint -Compression None
            }).AddArgument($env:CLUTTERDR_MODULE_PATH).AddArgument((Get-TestPgUrl $Db)).AddArgument("s3://$bucket/db").AddArgument($S3Endpoint)
        $handle = $ps.BeginInvoke()
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while (-not ($ps.Streams.Progress | Where-Object { $_.RecordType -eq 'Processing' -and $_.StatusDescription -match 'MB' }) -and [datetime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 50
        }
        $handle.IsCompleted | Should -BeFalse -Because 'the backup must still be running when it is stopped'
        $ps.Stop()
        { $ps.EndInvoke($handle) } | Should -Throw
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'

        Start-Sleep -Milliseconds 500
        Get-TestS3Keys $bucket | Should -BeNullOrEmpty
        Get-TestS3Uploads $bucket | Should -BeNullOrEmpty -Because 'the multipart upload is aborted, not left to a lifecycle rule'
        Get-ClutterBackup "s3://$bucket/db" -EndpointUrl $S3Endpoint | Should -BeNullOrEmpty
        Invoke-TestPsql -Command "select count(*) from pg_stat_activity where datname = '$Db' and application_name <> 'psql'" | Should -Be 0
        $ps.Dispose()
    }
}
