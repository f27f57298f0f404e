# -MaxRetries as users call it: the built module, the real S3 server behind the fault proxy (tests/FaultProxy),
# which answers chosen requests 503 SlowDown and counts every attempt that reaches it.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    . (Join-Path $PSScriptRoot '_FaultProxy.ps1')
    # About 17 MB uncompressed: three 8 MiB parts.
    $script:Db = New-TestDatabase 'rt' -Sql "create table t as select g, md5(g::text) || md5((g * 7)::text) as body from generate_series(1, 240000) g;"
    $script:Url = Get-TestPgUrl $Db
    $script:Proxy = Start-TestFaultProxy
    $script:Part2 = 'partNumber=2&uploadId'

    function Add-SlowDown([string]$Method, [string]$Query, [int]$Times = [int]::MaxValue) {
        $Proxy.AddRule([ClutterDR.FaultProxy.FaultRule]@{ Method = $Method; Query = $Query; Times = $Times; Status = 503; ErrorCode = 'SlowDown' })
    }
}

AfterAll {
    if ($Proxy) { $Proxy.Dispose() }
    Invoke-TestPsql -Command "drop database if exists $Db" | Out-Null
}

Describe '-MaxRetries' {
    BeforeEach {
        $Proxy.ClearRules()
        $Proxy.ClearLog()
    }

    It 'retries a part answered 503 SlowDown, and the backup is whole' {
        $bucket = New-TestBucket 'rt'
        $rule = Add-SlowDown PUT $Part2 -Times 2
        $info = Backup-ClutterDatabase $Url -Destination "s3://$bucket/pg" -EndpointUrl $Proxy.Endpoint -Compression None
        $rule.Fired | Should -Be 2
        $Proxy.Count('PUT', $Part2) | Should -Be 3
        $check = Test-ClutterBackup $info.Location -EndpointUrl $S3Endpoint -Deep
        "$($check.Status)" | Should -Be 'Passed' -Because ($check.Checks | Out-String)
    }

    It 'with 0 fails the same fault after one attempt, naming the object, and leaves nothing' {
        $bucket = New-TestBucket 'rt'
        $null = Add-SlowDown PUT $Part2
        $err = $null
        try { Backup-ClutterDatabase $Url -Destination "s3://$bucket/pg" -EndpointUrl $Proxy.Endpoint -Compression None -MaxRetries 0 -ErrorAction Stop }
        catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'S3RequestFailed*'
        "$($err.TargetObject)" | Should -BeLike "s3://$bucket/pg/$Db/*.dump"
        $err.Exception.Message | Should -Match 'SlowDown'
        $err.Exception.Message | Should -Not -Match 'unexpectedly'
        $Proxy.Count('PUT', $Part2) | Should -Be 1
        (Get-TestS3Keys $bucket).Count | Should -Be 0   # no data object, no manifest
        (Get-TestS3Uploads $bucket).Count | Should -Be 0   # the multipart upload was aborted
    }

    It 'tries each part MaxRetries + 1 times' {
        $bucket = New-TestBucket 'rt'
        $null = Add-SlowDown PUT $Part2
        { Backup-ClutterDatabase $Url -Destination "s3://$bucket/pg" -EndpointUrl $Proxy.Endpoint -Compression None -MaxRetries 2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'S3RequestFailed*'
        $Proxy.Count('PUT', $Part2) | Should -Be 3
    }

    It 'reaches the listing of Get-ClutterBackup' {
        $bucket = New-TestBucket 'rt'
        $null = Backup-ClutterDatabase $Url -Destination "s3://$bucket/pg" -EndpointUrl $S3Endpoint
        $null = Add-SlowDown GET 'list-type=2'
        { Get-ClutterBackup "s3://$bucket/pg" -EndpointUrl $Proxy.Endpoint -MaxRetries 0 -ErrorAction Stop } | Should -Throw -ErrorId 'S3RequestFailed*'
        $Proxy.Count('GET', 'list-type=2') | Should -Be 1
        $Proxy.ClearRules()
        $null = Add-SlowDown GET 'list-type=2' -Times 1
        @(Get-ClutterBackup "s3://$bucket/pg" -EndpointUrl $Proxy.Endpoint -MaxRetries 1).Count | Should -Be 1
    }

    It 'reaches each request of Sync-ClutterStorage' {
        $src = New-TestFolder
        [IO.File]::WriteAllBytes((Join-Path $src 'a.bin'), [byte[]]::new(1000))
        $bucket = New-TestBucket 'rt'
        $null = $Proxy.AddRule([ClutterDR.FaultProxy.FaultRule]@{ Method = 'PUT'; Path = '/a.bin'; Status = 503; ErrorCode = 'SlowDown' })
        $summary = Sync-ClutterStorage $src "s3://$bucket" -DestinationEndpointUrl $Proxy.Endpoint -MaxRetries 0 -ErrorVariable ev -ErrorAction SilentlyContinue
        $summary.Failed | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'S3RequestFailed*'
        $Proxy.Count('PUT', $null, '/a.bin') | Should -Be 1
        $Proxy.ClearRules()
        $null = $Proxy.AddRule([ClutterDR.FaultProxy.FaultRule]@{ Method = 'PUT'; Path = '/a.bin'; Times = 2; Status = 503; ErrorCode = 'SlowDown' })
        $Proxy.ClearLog()
        (Sync-ClutterStorage $src "s3://$bucket" -DestinationEndpointUrl $Proxy.Endpoint -MaxRetries 2).Copied | Should -Be 1
        $Proxy.Count('PUT', $null, '/a.bin') | Should -Be 3
        Remove-Item -Recurse -Force $src
    }
}
