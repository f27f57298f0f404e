<#
.SYNOPSIS
    The ClutterDR demo: run by `dotnet pwsh ./build.ps1 -Task Demo`, which builds the module, starts a
    throwaway PostgreSQL and the local S3 server, runs this script in a fresh pwsh and stops them again.
#>
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $env:CLUTTERDR_MODULE_PATH

$pgBin = $env:CLUTTERDR_PG_BIN
$server = "postgresql://$($env:CLUTTERDR_TEST_PG_USER):$($env:CLUTTERDR_TEST_PG_PASSWORD)@$($env:CLUTTERDR_TEST_PG_HOST):$($env:CLUTTERDR_TEST_PG_PORT)"
$endpoint = $env:CLUTTERDR_TEST_S3_ENDPOINT
$env:AWS_ACCESS_KEY_ID = $env:CLUTTERDR_TEST_S3_ACCESS_KEY
$env:AWS_SECRET_ACCESS_KEY = $env:CLUTTERDR_TEST_S3_SECRET_KEY
$env:AWS_REGION = 'us-east-1'
$work = Join-Path ([IO.Path]::GetTempPath()) "clutterdr-demo-$PID"
$null = New-Item -ItemType Directory -Force -Path $work

function Step([string]$Text) { Write-Host "`n=== $Text" -ForegroundColor Cyan }
function Psql([string]$Database, [string[]]$More) {
    $env:PGPASSWORD = $env:CLUTTERDR_TEST_PG_PASSWORD
    & (Join-Path $pgBin 'psql') -X -q -v ON_ERROR_STOP=1 -h $env:CLUTTERDR_TEST_PG_HOST -p $env:CLUTTERDR_TEST_PG_PORT -U $env:CLUTTERDR_TEST_PG_USER -d $Database @More
    if ($LASTEXITCODE -ne 0) { throw "psql failed" }
    Remove-Item Env:PGPASSWORD
}

try {
    Step 'Loading the Clutter fixture (scale 1) into database "clutter"'
    Psql postgres @('-c', 'set client_min_messages = warning', '-c', 'drop database if exists clutter', '-c', 'create database clutter')
    Psql clutter @('-v', 'scale=1', '-f', (Join-Path $PSScriptRoot '..' 'Fixtures' 'clutter-schema.sql'))

    Step "Backup-ClutterDatabase to a local folder ($work/backups)"
    Backup-ClutterDatabase -ConnectionString "$server/clutter" -Destination (Join-Path $work 'backups') | Format-Table

    Step 'Backup-ClutterDatabase to the local S3 server (s3://clutter-backups/db, STANDARD_IA)'
    $null = Invoke-WebRequest -Method Put -Uri "$endpoint/clutter-backups" -UseBasicParsing
    Backup-ClutterDatabase -ConnectionString "$server/clutter" -Destination s3://clutter-backups/db -EndpointUrl $endpoint -StorageClass STANDARD_IA | Format-Table

    Step 'Get-ClutterBackup: what is there'
    Get-ClutterBackup (Join-Path $work 'backups') | Format-Table
    Get-ClutterBackup s3://clutter-backups/db -EndpointUrl $endpoint | Format-Table

    Step 'Test-ClutterBackupAge: the 48-hour alarm'
    Test-ClutterBackupAge s3://clutter-backups/db -EndpointUrl $endpoint -MaxAge 48:00:00 | Format-Table

    Step 'Restore the newest S3 backup into a new database "clutter_restored"'
    Psql postgres @('-c', 'set client_min_messages = warning', '-c', 'drop database if exists clutter_restored')
    $result = Get-ClutterBackup s3://clutter-backups/db -EndpointUrl $endpoint -Latest |
        Restore-ClutterDatabase -TargetConnectionString "$server/clutter_restored" -CreateDatabase -Confirm:$false
    $result | Format-Table

    Step 'Row counts side by side (expected from the backup manifest, actual in clutter_restored)'
    $result.Tables | Format-Table
    if (-not $result.Verified) { throw 'The restored row counts differ from the backup.' }
    Write-Host "`nDemo complete: backup, listing, age check and verified restore all worked." -ForegroundColor Green
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
