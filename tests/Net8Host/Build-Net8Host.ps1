<#
.SYNOPSIS
    Publishes tests/Net8Host (self-contained .NET 8) against a built module and returns the program's path.

.DESCRIPTION
    The host compiles against <ModuleDir>/bin/ClutterDR.dll and bin/lib/ClutterDR.Engine.dll (build.ps1 -Task
    Build lays them out) and ships none of the module: at run time it loads them from the module folder it is
    given. The .NET 8 runtime and apphost packs come from NuGet on the first publish (then from the cache).
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string]$ModuleDir,
    [string]$OutDir = (Join-Path (Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'out') 'net8host'),
    [string]$Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$bin = Join-Path (Resolve-Path -LiteralPath $ModuleDir).ProviderPath 'bin'
if (-not (Test-Path -LiteralPath (Join-Path (Join-Path $bin 'lib') 'ClutterDR.Engine.dll'))) {
    throw "No bin/lib/ClutterDR.Engine.dll in '$ModuleDir': run 'dotnet pwsh ./build.ps1 -Task Build' first."
}
$project = Join-Path $PSScriptRoot 'Net8Host.csproj'
$out = & dotnet publish $project -c $Configuration -o $OutDir --nologo "-p:ModuleBin=$bin$([IO.Path]::DirectorySeparatorChar)" 2>&1
if ($LASTEXITCODE -ne 0) {
    throw "dotnet publish of the .NET 8 test host failed (exit $LASTEXITCODE):$([Environment]::NewLine)$($out -join [Environment]::NewLine)"
}
$exe = Join-Path $OutDir ($IsWindows ? 'Net8Host.exe' : 'Net8Host')
if (-not (Test-Path -LiteralPath $exe)) { throw "Published, but '$exe' is missing." }
$exe
