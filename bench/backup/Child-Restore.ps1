# Run by bench/backup.ps1 in a fresh pwsh (under GNU time): imports the module, times one Restore-ClutterDatabase
# -CreateDatabase call alone and writes its seconds, whether it verified and pwsh's own peak memory as JSON to -ResultPath.
param([string]$Module, [string]$Location, [string]$TargetConnectionString, [string]$EndpointUrl, [string]$ResultPath)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$p = @{ Location = $Location; TargetConnectionString = $TargetConnectionString; CreateDatabase = $true; Confirm = $false }
if ($EndpointUrl) { $p.EndpointUrl = $EndpointUrl }
$sw = [Diagnostics.Stopwatch]::StartNew()
$r = Restore-ClutterDatabase @p
$sw.Stop()
$me = Get-Process -Id $PID
[ordered]@{
    CmdletSeconds = $sw.Elapsed.TotalSeconds; Verified = [bool]$r.Verified; Tables = @($r.Tables).Count
    PwshPeakMB = $me.PeakWorkingSet64 / 1MB
} | ConvertTo-Json | Set-Content -LiteralPath $ResultPath
