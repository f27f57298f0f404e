# Shared by the Pester tests: the real test servers that build.ps1 -Task Test starts (tests/TestServices).
# Dot-source it in BeforeAll. Nothing here fakes a server: databases and buckets are real and throwaway.
Set-StrictMode -Version 3.0

foreach ($name in 'CLUTTERDR_MODULE_PATH', 'CLUTTERDR_TEST_PG_HOST', 'CLUTTERDR_TEST_PG_PORT', 'CLUTTERDR_TEST_PG_PASSWORD', 'CLUTTERDR_TEST_S3_ENDPOINT') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        throw "$name is not set: run the tests with 'dotnet pwsh ./build.ps1 -Task Test', which starts PostgreSQL and the S3 server."
    }
}
Import-Module $env:CLUTTERDR_MODULE_PATH
. (Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'TestServices') 'S3Signing.ps1')   # Invoke-SignedS3Request

$script:FixtureDir = Join-Path (Split-Path -Parent $PSScriptRoot) 'Fixtures'
$script:PgBin = $env:CLUTTERDR_PG_BIN
$script:S3Endpoint = $env:CLUTTERDR_TEST_S3_ENDPOINT
# The cmdlets find S3 credentials through the AWS default chain, as in production.
$env:AWS_ACCESS_KEY_ID = $env:CLUTTERDR_TEST_S3_ACCESS_KEY
$env:AWS_SECRET_ACCESS_KEY = $env:CLUTTERDR_TEST_S3_SECRET_KEY
$env:AWS_REGION = 'us-east-1'

function Get-TestPgUrl([string]$Database = 'postgres', [string]$Password = $env:CLUTTERDR_TEST_PG_PASSWORD) {
    "postgresql://$($env:CLUTTERDR_TEST_PG_USER):$([uri]::EscapeDataString($Password))@$($env:CLUTTERDR_TEST_PG_HOST):$($env:CLUTTERDR_TEST_PG_PORT)/$Database"
}

function Invoke-TestPsql {
    param([string]$Database = 'postgres', [string]$Command, [string]$File, [hashtable]$Variables = @{})
    $psql = Join-Path $script:PgBin 'psql'
    $argList = @('-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-h', $env:CLUTTERDR_TEST_PG_HOST, '-p', $env:CLUTTERDR_TEST_PG_PORT, '-U', $env:CLUTTERDR_TEST_PG_USER, '-d', $Database)
    foreach ($k in $Variables.Keys) { $argList += @('-v', "$k=$($Variables[$k])") }
    if ($Command) { $argList += @('-c', $Command) }
    if ($File) { $argList += @('-f', $File) }
    $env:PGPASSWORD = $env:CLUTTERDR_TEST_PG_PASSWORD
    try {
        $out = & $psql @argList 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql failed ($LASTEXITCODE): $out" }
        $out
    }
    finally { Remove-Item Env:PGPASSWORD }
}

function New-TestDatabase([string]$Prefix = 'pt', [string]$Sql, [string[]]$Files, [int]$Scale = 1) {
    $name = "${Prefix}_$([guid]::NewGuid().ToString('N').Substring(0, 10))"
    Invoke-TestPsql -Command "create database $name" | Out-Null
    foreach ($f in $Files) { Invoke-TestPsql -Database $name -File (Join-Path $script:FixtureDir $f) -Variables @{ scale = $Scale } | Out-Null }
    if ($Sql) { Invoke-TestPsql -Database $name -Command $Sql | Out-Null }
    $name
}

function Invoke-TestS3 {
    <# A raw S3 request to the tests' S3 server, signed (tests/TestServices/S3Signing.ps1): -Endpoint, -AccessKey and
       -SecretKey default to Ceph RGW's; see Invoke-SignedS3Request for the rest. #>
    param(
        [ValidateSet('Get', 'Put', 'Head', 'Delete', 'Post')] [string]$Method = 'Get',
        [Parameter(Mandatory)] [string]$Path,
        [Collections.IDictionary]$Query = @{},
        [byte[]]$Body = [byte[]]::new(0),
        [Collections.IDictionary]$Headers = @{},
        [string]$Endpoint = $script:S3Endpoint,
        [string]$AccessKey = $env:CLUTTERDR_TEST_S3_ACCESS_KEY,
        [string]$SecretKey = $env:CLUTTERDR_TEST_S3_SECRET_KEY,
        [string]$Region = 'us-east-1',
        [switch]$SkipHttpErrorCheck
    )
    $request = @{} + $PSBoundParameters
    $request.Endpoint = $Endpoint; $request.AccessKey = $AccessKey; $request.SecretKey = $SecretKey; $request.Region = $Region
    Invoke-SignedS3Request @request
}

function New-TestBucket([string]$Prefix = 'pt', [switch]$ObjectLock) {
    $name = "$Prefix-$([guid]::NewGuid().ToString('N').Substring(0, 12))"
    $headers = if ($ObjectLock) { @{ 'x-amz-bucket-object-lock-enabled' = 'true' } } else { @{} }
    $null = Invoke-TestS3 -Method Put -Path "/$name" -Headers $headers
    $name
}

function Get-TestS3Keys([string]$Bucket) {
    $keys = [Collections.Generic.List[string]]::new()
    $token = $null
    do {
        $query = [ordered]@{ 'list-type' = '2' }
        if ($token) { $query['continuation-token'] = $token }
        [xml]$xml = (Invoke-TestS3 -Path "/$Bucket" -Query $query).Content
        foreach ($c in @($xml.ListBucketResult.SelectNodes('*[local-name()="Contents"]'))) { $keys.Add($c.Key) }
        $token = if ($xml.ListBucketResult.IsTruncated -eq 'true') { $xml.ListBucketResult.NextContinuationToken } else { $null }
    } while ($token)
    , $keys.ToArray()
}

function Get-TestS3Uploads([string]$Bucket) {
    # Multipart uploads in progress (not completed, not aborted): their keys.
    [xml]$xml = (Invoke-TestS3 -Path "/$Bucket" -Query @{ uploads = '' }).Content
    , @($xml.ListMultipartUploadsResult.SelectNodes('*[local-name()="Upload"]') | ForEach-Object { $_.Key })
}

function New-TestFolder {
    $p = Join-Path ([IO.Path]::GetTempPath()) "clutterdr-pt-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    $null = New-Item -ItemType Directory -Path $p
    $p
}

# Schema of a database as pg_dump sees it, minus the random \restrict lines of pg_dump 15.18+.
function Get-TestSchemaDump([string]$Database) {
    $env:PGPASSWORD = $env:CLUTTERDR_TEST_PG_PASSWORD
    try {
        $out = & (Join-Path $script:PgBin 'pg_dump') --schema-only --no-owner -h $env:CLUTTERDR_TEST_PG_HOST -p $env:CLUTTERDR_TEST_PG_PORT -U $env:CLUTTERDR_TEST_PG_USER $Database
        if ($LASTEXITCODE -ne 0) { throw "pg_dump --schema-only failed" }
    }
    finally { Remove-Item Env:PGPASSWORD }
    ($out | Where-Object { $_ -notmatch '^\\(un)?restrict ' }) -join "`n"
}

# One md5 per table over all its rows in a stable order: equal hashes mean equal content.
function Get-TestTableHashes([string]$Database) {
    $tables = Invoke-TestPsql -Database $Database -Command @"
select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast' order by 1
"@
    $hashes = [ordered]@{}
    foreach ($t in $tables) {
        $hashes[$t] = Invoke-TestPsql -Database $Database -Command "select md5(coalesce(string_agg(x::text, E'\n' order by x::text), '')) from $t x"
    }
    $hashes
}
