# Run by bench/sync.ps1 in a fresh pwsh (under GNU time): imports the module, times one Sync-ClutterStorage call alone
# and writes '<cmdlet seconds> <copied+updated> <skipped>' to -TimeFile.
param([string]$Module, [string]$Source, [string]$Destination, [string]$Endpoint, [int]$ThrottleLimit, [string]$TimeFile)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$sw = [Diagnostics.Stopwatch]::StartNew()
$r = Sync-ClutterStorage $Source $Destination -DestinationEndpointUrl $Endpoint -ThrottleLimit $ThrottleLimit
$sw.Stop()
if ($r.Failed) { throw "$($r.Failed) items failed" }
Set-Content -LiteralPath $TimeFile -Value ("{0} {1} {2}" -f $sw.Elapsed.TotalSeconds.ToString([cultureinfo]::InvariantCulture), ($r.Copied + $r.Updated), $r.Skipped)
