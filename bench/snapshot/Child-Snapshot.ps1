# Run by bench/snapshot.ps1 in a fresh pwsh (under GNU time): imports the module and times one step alone, writing
# '<cmdlet seconds> <detail>' to -TimeFile. Steps: sync (Sync-ClutterStorage), snapshot (Backup-ClutterStorage),
# days (-Days snapshots, each after rewriting -ChangePercent % of the tree's small files), restore-one (one file).
param([string]$Module, [string]$Step, [string]$Source, [string]$Destination, [string]$Endpoint, [int]$ThrottleLimit,
    [string]$TimeFile, [int]$Days = 30, [double]$ChangePercent = 1, [string]$Include)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$sw = [Diagnostics.Stopwatch]::StartNew()
switch ($Step) {
    'sync' {
        $r = Sync-ClutterStorage $Source $Destination -DestinationEndpointUrl $Endpoint -ThrottleLimit $ThrottleLimit
        if ($r.Failed) { throw "$($r.Failed) items failed" }
        $detail = $r.Copied + $r.Updated
    }
    'snapshot' {
        $r = Backup-ClutterStorage $Source $Destination -DestinationEndpointUrl $Endpoint -ThrottleLimit $ThrottleLimit
        $detail = "$($r.NewBlobs) $($r.NewBytes) $($r.Reused)"
    }
    'days' {
        $files = @(Get-ChildItem -LiteralPath $Source -Recurse -File -Filter 'file-*.bin' | Sort-Object FullName)
        $perDay = [math]::Max(1, [int][math]::Round($files.Count * $ChangePercent / 100))
        $rng = [Random]::new(30)
        $uploaded = 0L
        $sw.Reset()
        for ($d = 1; $d -le $Days; $d++) {
            for ($i = 0; $i -lt $perDay; $i++) {
                $f = $files[$rng.Next(0, $files.Count)]
                $bytes = [byte[]]::new($f.Length); $rng.NextBytes($bytes)
                [IO.File]::WriteAllBytes($f.FullName, $bytes)
            }
            $sw.Start()
            $r = Backup-ClutterStorage $Source $Destination -DestinationEndpointUrl $Endpoint -ThrottleLimit $ThrottleLimit
            $sw.Stop()
            $uploaded += $r.NewBytes
        }
        $detail = "$perDay $uploaded"
    }
    'restore-one' {
        $r = Get-ClutterStorageSnapshot $Source -Latest -EndpointUrl $Endpoint | Restore-ClutterStorage -Destination $Destination -Include $Include -EndpointUrl $Endpoint
        $detail = "$($r.Restored) $($r.Bytes)"
    }
}
$sw.Stop()
Set-Content -LiteralPath $TimeFile -Value ("{0} {1}" -f $sw.Elapsed.TotalSeconds.ToString([cultureinfo]::InvariantCulture), $detail)
