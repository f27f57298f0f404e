<#
.SYNOPSIS
    Runs the Pester tests against the built module. Meant to run in a fresh `dotnet pwsh -NoProfile`
    (a binary module cannot be re-imported into a process after a rebuild); build.ps1 -Task Test does that.

.DESCRIPTION
    Imports Pester (5.7.1 from the NuGet cache, see _Install-Pester.ps1), sets CLUTTERDR_MODULE_PATH to
    the module manifest for the tests to import (build.ps1 -Task Test passes the one installed from the
    .nupkg) and CLUTTERDR_PACKAGE_PATH to -PackagePath (the .nupkg, for Package.Tests.ps1), runs every *.Tests.ps1 under -TestPath, writes NUnit XML
    to -ResultPath and a small JSON summary (Passed, Failed, Skipped, NotRun, Total, Result) to
    -SummaryPath. Exit code: 0 when everything passed, else the number of failed tests/blocks/containers
    (Pester's Run.Exit), -1 when Pester itself crashed.
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string]$ModulePath,
    [string]$PackagePath,
    [string]$PesterPath,
    [string]$TestPath = $PSScriptRoot,
    [string]$ResultPath,
    [string]$SummaryPath,
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')] [string]$Verbosity = 'Detailed'
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$repoRoot = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
if (-not $ResultPath) { $ResultPath = Join-Path (Join-Path $repoRoot 'out') 'pester-results.xml' }
if (-not $SummaryPath) { $SummaryPath = Join-Path (Join-Path $repoRoot 'out') 'pester-summary.json' }
if (-not $PesterPath) { $PesterPath = & (Join-Path $PSScriptRoot '_Install-Pester.ps1') }

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$env:CLUTTERDR_MODULE_PATH = $ModulePath
if ($PackagePath) { $env:CLUTTERDR_PACKAGE_PATH = (Resolve-Path -LiteralPath $PackagePath).ProviderPath }
foreach ($p in @($ResultPath, $SummaryPath)) {
    $dir = Split-Path -Parent ([IO.Path]::GetFullPath($p))
    if (-not (Test-Path -LiteralPath $dir)) { $null = New-Item -ItemType Directory -Path $dir -Force }
    if (Test-Path -LiteralPath $p) { Remove-Item -LiteralPath $p -Force }
}

Import-Module $PesterPath -Force
Write-Host "Pester $((Get-Module Pester).Version) on PowerShell $($PSVersionTable.PSVersion); module: $ModulePath"

$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.Exit = $true        # exit code = failed tests + blocks + containers
$config.Run.PassThru = $true    # the result object still reaches the summary below before Pester exits
$config.Output.Verbosity = $Verbosity
if ([Console]::IsOutputRedirected) { $config.Output.RenderMode = 'Plaintext' }   # no ANSI codes in CI logs
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = [IO.Path]::GetFullPath($ResultPath)

Invoke-Pester -Configuration $config | ForEach-Object {
    $failed = [Math]::Max($_.FailedCount, $_.FailedBlocksCount) + $_.FailedContainersCount
    [ordered]@{
        Passed  = $_.PassedCount
        Failed  = $failed
        Skipped = $_.SkippedCount
        NotRun  = $_.NotRunCount
        Total   = $_.TotalCount
        Result  = "$($_.Result)"
    } | ConvertTo-Json | Set-Content -LiteralPath $SummaryPath -Encoding utf8NoBOM
}
exit 0
