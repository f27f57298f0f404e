<#
.SYNOPSIS
    Installs the module's .nupkg with Install-PSResource, as an admin installs it from the Gallery, into an
    empty module path below -Root. Returns ModulePath (the folder to put on PSModulePath), ManifestPath
    (the installed ClutterDR.psd1) and HomePath.

.DESCRIPTION
    build.ps1 -Task Test runs the Pester suite against this installed layout; Package.Tests.ps1 uses it to
    install into a fresh, empty path and import the module by name.
    The install runs in a fresh pwsh whose HOME is <Root>/home: PSResourceGet's CurrentUser scope
    (~/.local/share/powershell/Modules) and its repository list (~/.local/share/PSResourceGet) then live
    below -Root, so nothing is installed or registered for the machine's user and parallel runs do not meet.
    (On Windows the CurrentUser scope follows the Documents folder, not HOME: this script is for the Linux
    build machines.)
#>
#Requires -Version 7.4
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string]$PackagePath,
    [Parameter(Mandatory)] [string]$Root
)

$ErrorActionPreference = 'Stop'
$PackagePath = (Resolve-Path -LiteralPath $PackagePath).ProviderPath
$Root = [IO.Path]::GetFullPath($Root)
$repo = Join-Path $Root 'repository'
$homePath = Join-Path $Root 'home'
foreach ($d in $repo, $homePath) { $null = New-Item -ItemType Directory -Path $d -Force }
Copy-Item -LiteralPath $PackagePath -Destination $repo -Force

$q = { param($s) "'" + $s.Replace("'", "''") + "'" }
$script = @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
Register-PSResourceRepository -Name ClutterDRPackage -Uri $(& $q $repo) -Trusted
Install-PSResource -Name ClutterDR -Repository ClutterDRPackage -Scope CurrentUser -TrustRepository -Quiet
"@

$pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
$saved = @{ HOME = $env:HOME; POWERSHELL_TELEMETRY_OPTOUT = $env:POWERSHELL_TELEMETRY_OPTOUT }
try {
    $env:HOME = $homePath
    $env:POWERSHELL_TELEMETRY_OPTOUT = '1'
    $out = & $pwsh -NoProfile -NonInteractive -Command $script 2>&1
    if ($LASTEXITCODE -ne 0) { throw "Install-PSResource of '$PackagePath' failed (exit $LASTEXITCODE): $($out -join "`n")" }
} finally {
    foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
}

$manifest = @(Get-ChildItem -LiteralPath $homePath -Recurse -Force -Filter 'ClutterDR.psd1' -File)
if ($manifest.Count -ne 1) { throw "Expected one installed ClutterDR.psd1 below '$homePath', found $($manifest.Count)." }
# <ModulePath>/ClutterDR/<version>/ClutterDR.psd1
[pscustomobject]@{
    ModulePath   = $manifest[0].Directory.Parent.Parent.FullName
    ManifestPath = $manifest[0].FullName
    HomePath     = $homePath
}
