<#
.SYNOPSIS
    Makes sure Pester (default 5.7.1) is in the NuGet package cache and returns the path of its Pester.psd1.

.DESCRIPTION
    The PowerShell Gallery is not reachable from the build machines, but NuGet is, and NuGet serves the
    Pester package. A throwaway project with <PackageDownload Include="Pester" Version="[x]" /> in a temp
    folder is restored once; later calls find the package in the cache and return at once.
    Usage: Import-Module (& ./tests/Pester/_Install-Pester.ps1) -Force
#>
#Requires -Version 7.2
[CmdletBinding()]
param([string]$Version = '5.7.1')

$ErrorActionPreference = 'Stop'

$packagesRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES }
                else { Join-Path (Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget') 'packages' }
$psd1 = Join-Path (Join-Path (Join-Path (Join-Path $packagesRoot 'pester') $Version) 'tools') 'Pester.psd1'
if (Test-Path -LiteralPath $psd1 -PathType Leaf) { return $psd1 }

# Outside the repository on purpose: no Directory.Build.props / Directory.Packages.props applies there.
$work = Join-Path ([IO.Path]::GetTempPath()) ('clutterdr-pester-' + [guid]::NewGuid().ToString('N').Substring(0, 10))
$null = New-Item -ItemType Directory -Path $work -Force
try {
    $proj = Join-Path $work 'PesterDownload.csproj'
    @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
    <NuGetAudit>false</NuGetAudit>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Pester" Version="[$Version]" />
  </ItemGroup>
</Project>
"@ | Set-Content -LiteralPath $proj -Encoding utf8NoBOM
    Write-Host "Downloading Pester $Version from NuGet ..."
    $out = & dotnet restore $proj --nologo -v quiet 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet restore of Pester $Version failed (exit $LASTEXITCODE):$([Environment]::NewLine)$($out -join [Environment]::NewLine)"
    }
} finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
if (-not (Test-Path -LiteralPath $psd1 -PathType Leaf)) { throw "Pester $Version restored, but '$psd1' is missing." }
return $psd1
