# Run by bench/backup.ps1 in a fresh pwsh (under GNU time): imports the module, times one Backup-ClutterDatabase call
# alone and writes the cmdlet's seconds, the backup's facts and pwsh's own peak memory as JSON to -ResultPath.
param([string]$Module, [string]$ConnectionString, [string]$Destination, [string]$EndpointUrl, [string]$Compression, [int]$Level, [string]$ResultPath, [string]$Recipient)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$t0 = [Diagnostics.Stopwatch]::StartNew()
Import-Module $Module
$import = $t0.Elapsed.TotalSeconds
# '|' separates several destinations (one dump, a copy in each).
$p = @{ ConnectionString = $ConnectionString; Destination = @($Destination -split '\|'); Compression = $Compression }
if ($EndpointUrl) { $p.EndpointUrl = $EndpointUrl }
if ($Level -gt 0) { $p.CompressionLevel = $Level }
if ($Recipient) { $p.Recipient = $Recipient }
$sw = [Diagnostics.Stopwatch]::StartNew()
$info = @(Backup-ClutterDatabase @p)[0]
$sw.Stop()
$me = Get-Process -Id $PID
[ordered]@{
    CmdletSeconds = $sw.Elapsed.TotalSeconds; ImportSeconds = $import
    Location = $info.Location; SizeBytes = $info.SizeBytes; RawSizeBytes = $info.RawSizeBytes
    PwshPeakMB = $me.PeakWorkingSet64 / 1MB; GcHeapMB = [GC]::GetTotalMemory($false) / 1MB
    MaxGcHeapMB = [GC]::GetGCMemoryInfo().HeapSizeBytes / 1MB
} | ConvertTo-Json | Set-Content -LiteralPath $ResultPath
