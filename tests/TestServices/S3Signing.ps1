# One S3 request signed with AWS Signature V4, for the test helpers and the benches: a real S3 server (Ceph
# RGW) refuses unsigned requests, and neither may load the AWS SDK into its own process (the module's isolation
# tests check which assemblies load where). Dot-sourced by tests/Pester/_TestHelpers.ps1 and bench/_BenchCommon.ps1.
# -Path is the request path as sent, already URL-encoded per segment ('/bucket/a%20b'); -Query is encoded here.
# Returns Invoke-WebRequest's response; -SkipHttpErrorCheck returns 4xx/5xx answers instead of throwing.
function Invoke-SignedS3Request {
    param(
        [ValidateSet('Get', 'Put', 'Head', 'Delete', 'Post')] [string]$Method = 'Get',
        [Parameter(Mandatory)] [string]$Path,
        [Collections.IDictionary]$Query = @{},
        [byte[]]$Body = [byte[]]::new(0),
        [Collections.IDictionary]$Headers = @{},
        [Parameter(Mandatory)] [string]$Endpoint,
        [Parameter(Mandatory)] [string]$AccessKey,
        [Parameter(Mandatory)] [string]$SecretKey,
        [string]$Region = 'us-east-1',
        [switch]$SkipHttpErrorCheck
    )
    $uri = [Uri]$Endpoint
    $hostHeader = if ($uri.IsDefaultPort) { $uri.Host } else { "$($uri.Host):$($uri.Port)" }
    $now = [DateTime]::UtcNow
    $amzDate = $now.ToString("yyyyMMdd'T'HHmmss'Z'", [Globalization.CultureInfo]::InvariantCulture)
    $day = $now.ToString('yyyyMMdd', [Globalization.CultureInfo]::InvariantCulture)
    $sha = [Security.Cryptography.SHA256]
    $hex = { param([byte[]]$b) [Convert]::ToHexString($b).ToLowerInvariant() }
    $payloadHash = & $hex $sha::HashData($Body)
    $queryText = (@($Query.Keys | Sort-Object -CaseSensitive | ForEach-Object {
                [Uri]::EscapeDataString([string]$_) + '=' + [Uri]::EscapeDataString([string]$Query[$_]) })) -join '&'
    $signed = [ordered]@{ host = $hostHeader; 'x-amz-content-sha256' = $payloadHash; 'x-amz-date' = $amzDate }
    foreach ($k in $Headers.Keys) { $signed[$k.ToLowerInvariant()] = ([string]$Headers[$k]).Trim() }
    $names = @($signed.Keys | Sort-Object -CaseSensitive)
    $canonical = @($Method.ToUpperInvariant(), $Path, $queryText,
        (($names | ForEach-Object { "${_}:$($signed[$_])`n" }) -join ''), ($names -join ';'), $payloadHash) -join "`n"
    $scope = "$day/$Region/s3/aws4_request"
    $toSign = "AWS4-HMAC-SHA256`n$amzDate`n$scope`n" + (& $hex $sha::HashData([Text.Encoding]::UTF8.GetBytes($canonical)))
    $key = [Text.Encoding]::UTF8.GetBytes("AWS4$SecretKey")
    foreach ($part in $day, $Region, 's3', 'aws4_request') { $key = [Security.Cryptography.HMACSHA256]::HashData($key, [Text.Encoding]::UTF8.GetBytes($part)) }
    $signature = & $hex ([Security.Cryptography.HMACSHA256]::HashData($key, [Text.Encoding]::UTF8.GetBytes($toSign)))
    $send = @{}
    foreach ($k in $signed.Keys) { if ($k -ne 'host') { $send[$k] = $signed[$k] } }
    $send['Authorization'] = "AWS4-HMAC-SHA256 Credential=$AccessKey/$scope, SignedHeaders=$($names -join ';'), Signature=$signature"
    $target = "$($Endpoint.TrimEnd('/'))$Path" + $(if ($queryText) { "?$queryText" } else { '' })
    $request = @{ Method = $Method; Uri = $target; Headers = $send; UseBasicParsing = $true; SkipHeaderValidation = $true; SkipHttpErrorCheck = [bool]$SkipHttpErrorCheck }
    if ($Method -in 'Put', 'Post') { $request.Body = $Body }
    Invoke-WebRequest @request
}
