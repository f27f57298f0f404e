<#
.SYNOPSIS
    Makes sure NuGet packages are in the NuGet package cache and returns their folders (one per -Package).

.DESCRIPTION
    For tests that need a package the module itself does not reference (an old AWSSDK.Core for the
    coexistence test; Pester for _Install-Pester.ps1): a throwaway project with <PackageDownload> items, restored
    once through the NuGet feed configured on the machine; later calls find the cache and return at once.
    Usage: $folders = & ./tests/Pester/_Get-NuGetPackage.ps1 -Package 'AWSSDK.Core/3.7.501.1'
#>
#Requires -Version 7.2
[CmdletBinding()]
param([Parameter(Mandatory)] [string[]]$Package)   # Id/Version

$ErrorActionPreference = 'Stop'

$packagesRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES }
                else { Join-Path (Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget') 'packages' }
$wanted = foreach ($p in $Package) {
    $id, $version = $p.Split('/', 2)
    if (-not $version) { throw "Package '$p': give it as Id/Version, e.g. AWSSDK.Core/3.7.501.1." }
    [pscustomobject]@{ Id = $id; Version = $version; Folder = Join-Path (Join-Path $packagesRoot $id.ToLowerInvariant()) $version.ToLowerInvariant() }
}
$missing = @($wanted | Where-Object { -not (Test-Path -LiteralPath (Join-Path $_.Folder '.nupkg.metadata')) })
if ($missing.Count -gt 0) {
    # Outside the repository on purpose: no Directory.Build.props / Directory.Packages.props applies there.
    $work = Join-Path ([IO.Path]::GetTempPath()) ('clutterdr-pkg-' + [guid]::NewGuid().ToString('N').Substring(0, 10))
    $null = New-Item -ItemType Directory -Path $work -Force
    try {
        $items = ($missing | ForEach-Object { "    <PackageDownload Include=""$($_.Id)"" Version=""[$($_.Version)]"" />" }) -join [Environment]::NewLine
        @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
    <NuGetAudit>false</NuGetAudit>
  </PropertyGroup>
  <ItemGroup>
$items
  </ItemGroup>
</Project>
"@ | Set-Content -LiteralPath (Join-Path $work 'Download.csproj') -Encoding utf8NoBOM
        Write-Host "Downloading $($missing.ForEach({ "$($_.Id) $($_.Version)" }) -join ', ') from NuGet ..."
        $out = & dotnet restore (Join-Path $work 'Download.csproj') --nologo -v quiet 2>&1
        if ($LASTEXITCODE -ne 0) {
            throw "dotnet restore of $($missing.Id -join ', ') failed (exit $LASTEXITCODE):$([Environment]::NewLine)$($out -join [Environment]::NewLine)"
        }
    } finally {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}
foreach ($w in $wanted) {
    if (-not (Test-Path -LiteralPath $w.Folder)) { throw "$($w.Id) $($w.Version) restored, but '$($w.Folder)' is missing." }
    $w.Folder
}
