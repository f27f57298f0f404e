<#
.SYNOPSIS
    Stops what Start-TestServices.ps1 started (per its state file) and deletes the services' temp folders.

.DESCRIPTION
    PostgreSQL: `pg_ctl stop -m fast` (the postmaster is killed if that fails). Ceph RGW: its three daemons are killed
    (the OSD keeps its objects in RAM). s3rver: the node process is killed.
    Only services recorded in the state file are touched; services that Start-TestServices.ps1 reused
    (from the environment) were never recorded and are left alone. Idempotent: nothing recorded, nothing
    done. The matching CLUTTERDR_TEST_* variables are removed from the current process.

.PARAMETER Only
    Stop only these services (Postgres, S3 = Ceph RGW, S3rver). Default: all. Pass the result's `Started` names to stop
    exactly what one Start-TestServices.ps1 call started.

.PARAMETER StatePath
    State file written by Start-TestServices.ps1. Default <temp>/clutterdr-test-services/state.json.
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    [ValidateSet('Postgres', 'S3', 'S3rver', 'Supabase')]
    [AllowEmptyCollection()]
    [string[]]$Only = @('Postgres', 'S3', 'S3rver', 'Supabase'),
    [string]$StatePath
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot 'TestServices.Common.ps1')
. (Join-Path $PSScriptRoot 'TestServices.Rgw.ps1')

if (-not $StatePath) { $StatePath = Get-TsDefaultStatePath }
$StatePath = [IO.Path]::GetFullPath($StatePath)
$state = Read-TsState -Path $StatePath
$stopped = @()

if ($Only -contains 'Postgres' -and $state.Postgres) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Stop-TsPostgres -Entry $state.Postgres
    if ($env:CLUTTERDR_TEST_PG_PORT -eq [string]$state.Postgres.Port) {
        foreach ($n in $script:TsPgEnvNames) { [Environment]::SetEnvironmentVariable($n, $null) }
    }
    Write-TsStatus ("PostgreSQL on port {0} stopped in {1:N1} s" -f $state.Postgres.Port, $sw.Elapsed.TotalSeconds)
    $state.Postgres = $null
    Write-TsState -Path $StatePath -State $state
    $stopped += 'Postgres'
}

if ($Only -contains 'Supabase' -and $state.Supabase) {
    Stop-TsPostgres -Entry $state.Supabase
    if ($env:CLUTTERDR_TEST_SUPABASE_PORT -eq [string]$state.Supabase.Port) {
        foreach ($n in $script:TsSupabaseEnvNames) { [Environment]::SetEnvironmentVariable($n, $null) }
    }
    Write-TsStatus "Supabase-shaped PostgreSQL on port $($state.Supabase.Port) stopped"
    $state.Supabase = $null
    Write-TsState -Path $StatePath -State $state
    $stopped += 'Supabase'
}

if ($Only -contains 'S3' -and $state.S3) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    if ($state.S3.Kind -eq 'rgw') { Stop-TsRgw -Entry $state.S3 } else { Stop-TsS3 -Entry $state.S3 }
    if ($env:CLUTTERDR_TEST_S3_ENDPOINT -eq $state.S3.Endpoint) {
        foreach ($n in $script:TsS3EnvNames) { [Environment]::SetEnvironmentVariable($n, $null) }
    }
    Write-TsStatus ("S3 server {0} stopped in {1:N1} s" -f $state.S3.Endpoint, $sw.Elapsed.TotalSeconds)
    $state.S3 = $null
    Write-TsState -Path $StatePath -State $state
    $stopped += 'S3'
}

if ($Only -contains 'S3rver' -and $state.S3rver) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Stop-TsS3 -Entry $state.S3rver
    if ($env:CLUTTERDR_TEST_S3RVER_ENDPOINT -eq $state.S3rver.Endpoint) {
        foreach ($n in $script:TsS3rverEnvNames) { [Environment]::SetEnvironmentVariable($n, $null) }
    }
    Write-TsStatus ("s3rver {0} stopped in {1:N1} s" -f $state.S3rver.Endpoint, $sw.Elapsed.TotalSeconds)
    $state.S3rver = $null
    Write-TsState -Path $StatePath -State $state
    $stopped += 'S3rver'
}

if (-not $stopped) { Write-TsStatus 'nothing to stop' }
