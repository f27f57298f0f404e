# The services side of the bench harness (dot-sourced by _BenchCommon.ps1): the test services, the S3 servers they
# run and their processes and versions, the AWS environment awscli and the module use, and Debian tools (awscli, rclone).
# Needs $RepoRoot, $TestServicesDir and $WorkDir from the calling script.

# The environment variables a bench run changes (AWS default chain, libpq, the test services'), to put back at the end.
function Save-BenchEnvironment {
    $saved = @{}
    foreach ($n in 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
        'AWS_REQUEST_CHECKSUM_CALCULATION', 'AWS_RESPONSE_CHECKSUM_VALIDATION', 'AWS_PAGER', 'AWS_PROFILE', 'PGPASSWORD', 'PGCONNECT_TIMEOUT',
        'CLUTTERDR_TEST_PG_HOST', 'CLUTTERDR_TEST_PG_PORT', 'CLUTTERDR_TEST_PG_USER', 'CLUTTERDR_TEST_PG_PASSWORD', 'CLUTTERDR_TEST_PG_SOCKET',
        'CLUTTERDR_TEST_PG_URL', 'CLUTTERDR_PG_BIN', 'CLUTTERDR_TEST_S3_ENDPOINT', 'CLUTTERDR_TEST_S3_ACCESS_KEY', 'CLUTTERDR_TEST_S3_SECRET_KEY',
        'CLUTTERDR_TEST_S3_REGION', 'CLUTTERDR_TEST_S3_SERVER', 'CLUTTERDR_TEST_S3RVER_ENDPOINT', 'CLUTTERDR_TEST_S3RVER_ACCESS_KEY',
        'CLUTTERDR_TEST_S3RVER_SECRET_KEY') {
        $saved[$n] = [Environment]::GetEnvironmentVariable($n)
    }
    $saved
}

# tests/TestServices/Start-TestServices.ps1: reuses the services CLUTTERDR_TEST_* point at, else starts them
# (state under -StatePath). Returns its result (.Started: what it started, for Stop-TestServices -Only).
function Start-BenchServices([string]$StatePath) {
    Write-Status 'starting (or reusing) the test services'
    $services = & (Join-Path $TestServicesDir 'Start-TestServices.ps1') -StatePath $StatePath 6>&1 |
        ForEach-Object { if ($_ -is [Management.Automation.InformationRecord]) { Write-Status "  $_" } else { $_ } } |
        Where-Object { $_.PSObject.Properties['Started'] } | Select-Object -Last 1
    if (-not $services) { throw 'Start-TestServices.ps1 returned no result.' }
    $services
}

# $script:S3Servers from the environment Start-TestServices set: Ceph RGW, and s3rver unless -SkipS3rver.
function Register-S3Servers([switch]$SkipS3rver) {
    if ($env:CLUTTERDR_TEST_S3_SERVER -and $env:CLUTTERDR_TEST_S3_SERVER -ne 'rgw') {
        throw "CLUTTERDR_TEST_S3_SERVER is '$($env:CLUTTERDR_TEST_S3_SERVER)': this benchmark expects Ceph RGW there (and s3rver in CLUTTERDR_TEST_S3RVER_*)."
    }
    $script:S3Servers['RGW'] = [pscustomobject]@{ Endpoint = $env:CLUTTERDR_TEST_S3_ENDPOINT; AccessKey = $env:CLUTTERDR_TEST_S3_ACCESS_KEY; SecretKey = $env:CLUTTERDR_TEST_S3_SECRET_KEY }
    if ($SkipS3rver) { Write-Status '-SkipS3rver: RGW only' }
    elseif ($env:CLUTTERDR_TEST_S3RVER_ENDPOINT) {
        $script:S3Servers['s3rver'] = [pscustomobject]@{ Endpoint = $env:CLUTTERDR_TEST_S3RVER_ENDPOINT
            AccessKey = $env:CLUTTERDR_TEST_S3RVER_ACCESS_KEY; SecretKey = $env:CLUTTERDR_TEST_S3RVER_SECRET_KEY }
    } else { Write-Warning 'CLUTTERDR_TEST_S3RVER_ENDPOINT is not set after Start-TestServices: the s3rver rows are left out.' }
}

# The S3 servers' processes into $script:ServerGroups, so that their CPU is told apart from other processes'.
function Find-S3ServerProcesses {
    foreach ($name in $script:S3Servers.Keys) {
        try { $script:ServerGroups[$name] = Get-S3ServerProcessIds $script:S3Servers[$name].Endpoint }
        catch { Write-Warning "Cannot find the processes of $name (their CPU will count as 'other'): $_" }
    }
    Write-Status "server processes: $(($script:ServerGroups.Keys | ForEach-Object { "$_ $($script:ServerGroups[$_] -join '/')" }) -join ', ')"
    if ($script:ServerGroups.Contains('RGW') -and @($script:ServerGroups['RGW']).Count -lt 3) {
        Write-Warning "Found $(@($script:ServerGroups['RGW']).Count) of RGW's 3 processes (radosgw, ceph-osd, ceph-mon): the missing ones' CPU counts as 'other'."
    }
}

# The S3 servers' versions for the report: .RGW, .S3rver.
function Get-S3ServerVersions {
    [pscustomobject]@{
        RGW = $(try { ((& radosgw --version 2>&1) -join ' ') -replace '^ceph version (\S+).*$', 'Ceph RGW $1' } catch { 'Ceph RGW' })
        S3rver = $(try {
                's3rver ' + (Get-Content -LiteralPath (Join-Path (Join-Path $TestServicesDir 's3rver') 'package.json') -Raw | ConvertFrom-Json).dependencies.'@20minutes/s3rver'
            } catch { 's3rver' })
    }
}

# Credentials as in production: the AWS default chain from the environment (RGW's; Get-S3Environment per step
# for another server). awscli: path-style, no v2 checksums; its config file in $WorkDir, no credentials file.
function Set-AwsEnvironment {
    $env:AWS_ACCESS_KEY_ID = $script:S3Servers['RGW'].AccessKey
    $env:AWS_SECRET_ACCESS_KEY = $script:S3Servers['RGW'].SecretKey
    $env:AWS_REGION = 'us-east-1'; $env:AWS_DEFAULT_REGION = 'us-east-1'
    $env:AWS_REQUEST_CHECKSUM_CALCULATION = 'when_required'; $env:AWS_RESPONSE_CHECKSUM_VALIDATION = 'when_required'
    $env:AWS_PAGER = ''; $env:AWS_PROFILE = $null
    $awsConfig = Join-Path $WorkDir 'aws-config'
    Set-Content -LiteralPath $awsConfig -Value "[default]`nregion = us-east-1`ns3 =`n    addressing_style = path`n"
    $env:AWS_CONFIG_FILE = $awsConfig
    $env:AWS_SHARED_CREDENTIALS_FILE = Join-Path $WorkDir 'aws-credentials-none'
}

# The environment that points the AWS default chain (awscli, the module) at one S3 server's credentials.
function Get-S3Environment([string]$Server) {
    $s = $script:S3Servers[$Server]
    @{ AWS_ACCESS_KEY_ID = $s.AccessKey; AWS_SECRET_ACCESS_KEY = $s.SecretKey }
}

# A Debian tool's path: installed with apt-get when missing and running as root; $null (and a warning) if absent.
function Install-AptTool([string]$Package, [string]$Path) {
    if (Test-Path -LiteralPath $Path -PathType Leaf) { return $Path }
    if ((& id -u) -eq '0' -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Status "installing $Package (apt-get install -y $Package)"
        & apt-get install -y -q $Package 2>&1 | Out-Null
        if ($LASTEXITCODE -ne 0) { & apt-get update -q 2>&1 | Out-Null; & apt-get install -y -q $Package 2>&1 | Out-Null }
    }
    if (Test-Path -LiteralPath $Path -PathType Leaf) { return $Path }
    Write-Warning "$Package ($Path) is not installed and could not be installed: its rows are missing."
    $null
}
