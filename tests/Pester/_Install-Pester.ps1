<#
.SYNOPSIS
    Makes sure Pester (default 5.7.1) is in the NuGet package cache and returns the path of its Pester.psd1.

.DESCRIPTION
    The PowerShell Gallery is not reachable from the build machines, but NuGet is, and NuGet serves the
    Pester package: _Get-NuGetPackage.ps1 restores it once; later calls find it in the cache at once.
    Usage: Import-Module (& ./tests/Pester/_Install-Pester.ps1) -Force
#>
#Requires -Version 7.2
[CmdletBinding()]
param([string]$Version = '5.7.1')

$ErrorActionPreference = 'Stop'

# The NuGet cache does the work (_Get-NuGetPackage.ps1 restores the package once, then finds it there).
$folder = & (Join-Path $PSScriptRoot '_Get-NuGetPackage.ps1') -Package "Pester/$Version"
$psd1 = Join-Path (Join-Path $folder 'tools') 'Pester.psd1'
if (-not (Test-Path -LiteralPath $psd1 -PathType Leaf)) { throw "Pester $Version restored, but '$psd1' is missing." }
return $psd1
