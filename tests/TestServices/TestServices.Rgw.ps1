# Ceph RADOS Gateway as the tests' S3 server: a throwaway single-node cluster (one monitor, one memstore OSD,
# no manager, no cephx), everything bound to 127.0.0.1 on free ports, data in the OSD's RAM.
# Dot-sourced by Start-TestServices.ps1 / Stop-TestServices.ps1 after TestServices.Common.ps1.
# Facts and traps: ../../../shared/docs/ENVIRONMENT.md, "Ceph RGW" (radosgw hangs on cephx unless its own section
# says auth_client_required = none and ms_mon_client_mode = crc; zone placement needs the default zone, which the
# first user create makes; extra storage classes exist only once added to the zonegroup and the zone).

$script:TsRgwTools = @('ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph', 'monmaptool', 'ceph-authtool')
# Amazon's classes, so the tests can use them; anything else (EXPRESS_ONEZONE, ...) is refused with InvalidArgument.
$script:TsRgwStorageClasses = @('STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER',
    'DEEP_ARCHIVE', 'REDUCED_REDUNDANCY')
$script:TsRgwPools = @('.rgw.root', 'default.rgw.log', 'default.rgw.control', 'default.rgw.meta',
    'default.rgw.buckets.index', 'default.rgw.buckets.data', 'default.rgw.buckets.non-ec')

function Find-TsRgwTools {
    $missing = @($script:TsRgwTools | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) })
    if ($missing) {
        throw ("Ceph RGW (the tests' S3 server) needs {0}: install the Debian packages radosgw ceph-mon ceph-osd " +
            "ceph-common uuid-runtime (apt-get install --no-install-recommends; .ci/run does this).") -f ($missing -join ', ')
    }
}

function Get-TsFreePortRange([int]$Count) {
    # A window of $Count consecutive ports on 127.0.0.1 that are free now (for the daemons' messenger binds).
    $rng = [Random]::new()
    for ($try = 0; $try -lt 50; $try++) {
        $base = $rng.Next(20000, 60000 - $Count)
        $ok = $true
        for ($p = $base; $p -lt $base + $Count -and $ok; $p++) {
            $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, $p)
            try { $l.Start() } catch { $ok = $false } finally { try { $l.Stop() } catch { } }
        }
        if ($ok) { return $base }
    }
    throw "No window of $Count free ports found on 127.0.0.1."
}

function Start-TsDaemon([string]$Exe, [string[]]$Arguments, [string]$WorkingDirectory) {
    # A foreground daemon (-f) in a session of its own (setsid execs it: the PID is the daemon's), so it outlives
    # us and a Ctrl+C in the caller's terminal does not reach it. Its logs go to log_file (the config turns
    # logging to stderr off), so nothing is written to these pipes once we exit.
    $psi = [Diagnostics.ProcessStartInfo]::new('setsid')
    $psi.ArgumentList.Add($Exe)
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.WorkingDirectory = $WorkingDirectory
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    return [Diagnostics.Process]::Start($psi)
}

function Invoke-TsCephParallel([string]$Conf, [object[]]$Commands) {
    # Runs several `ceph` commands at once (each python start costs ~0.3 s); throws with the first failure.
    $running = foreach ($c in $Commands) {
        $psi = [Diagnostics.ProcessStartInfo]::new('ceph')
        foreach ($a in @('-c', $Conf, '--connect-timeout', '20') + $c) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        [pscustomobject]@{ Command = ($c -join ' '); Process = [Diagnostics.Process]::Start($psi) }
    }
    foreach ($r in $running) {
        $errTask = $r.Process.StandardError.ReadToEndAsync()
        $null = $r.Process.StandardOutput.ReadToEnd()
        $r.Process.WaitForExit()
        if ($r.Process.ExitCode -ne 0) { throw "ceph $($r.Command) failed: $($errTask.GetAwaiter().GetResult())" }
    }
}

function Invoke-TsCeph([string]$Conf, [string[]]$Arguments, [string]$Exe = 'ceph') {
    $argv = @('-c', $Conf) + $Arguments
    if ($Exe -eq 'ceph') { $argv = @('-c', $Conf, '--connect-timeout', '20') + $Arguments }
    return Invoke-TsNative -FilePath $Exe -ArgumentList $argv
}

function Start-TsRgw {
    param([string]$AccessKey = 'CLUTTERTESTKEY', [string]$SecretKey = 'clutter-test-rgw-secret')
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Find-TsRgwTools
    $runDir = New-TsRunDir 'rgw'
    $conf = Join-Path $runDir 'ceph.conf'
    $entry = [ordered]@{
        Kind = 'rgw'; Pid = 0; MonPid = 0; OsdPid = 0; Port = 0; MonPort = 0; Endpoint = ''
        AccessKey = $AccessKey; SecretKey = $SecretKey; Region = 'us-east-1'; RunDir = $runDir; Conf = $conf
        LogFile = (Join-Path $runDir 'log/client.rgw.log')
    }
    try {
        foreach ($d in 'run', 'log', 'mon', 'osd0', 'rgw') { $null = New-Item -ItemType Directory -Path (Join-Path $runDir $d) -Force }
        $fsid = [guid]::NewGuid().ToString()
        $entry.MonPort = Get-TsFreePort
        $entry.Port = Get-TsFreePort
        $entry.Endpoint = "http://127.0.0.1:$($entry.Port)"
        $bindBase = Get-TsFreePortRange 40
        $r = $runDir
        @"
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$($entry.MonPort)]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_bind_msgr1 = false
ms_bind_port_min = $bindBase
ms_bind_port_max = $($bindBase + 39)
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_objectstore = memstore
memstore_device_bytes = 17179869184
osd_max_object_size = 1073741824
run_dir = $r/run
log_file = $r/log/`$name.log
admin_socket = $r/run/`$name.asok
mon_data = $r/mon
osd_data = $r/osd0
keyring = $r/keyring
log_to_stderr = false
err_to_stderr = false
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$($entry.Port)
rgw_data = $r/rgw
auth_client_required = none
ms_mon_client_mode = crc
rgw_enable_usage_log = false
rgw_thread_pool_size = 64
"@ | Set-Content -LiteralPath $conf -Encoding ascii

        $monmap = Join-Path $runDir 'monmap'
        $null = Invoke-TsNative -FilePath 'monmaptool' -ArgumentList @('--create', '--addv', 'a', "[v2:127.0.0.1:$($entry.MonPort)]", '--fsid', $fsid, $monmap)
        $null = Invoke-TsNative -FilePath 'ceph-authtool' -ArgumentList @('--create-keyring', (Join-Path $runDir 'keyring'), '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *')
        $null = Invoke-TsNative -FilePath 'ceph-mon' -ArgumentList @('-c', $conf, '--mkfs', '-i', 'a', '--monmap', $monmap)
        $mon = Start-TsDaemon 'ceph-mon' @('-f', '-c', $conf, '-i', 'a') $runDir
        $entry.MonPid = $mon.Id

        $osdUuid = [guid]::NewGuid().ToString()
        $osdId = (Invoke-TsCeph $conf @('osd', 'new', $osdUuid) | Select-Object -Last 1).Trim()
        $null = Invoke-TsNative -FilePath 'ceph-osd' -ArgumentList @('-c', $conf, '-i', $osdId, '--mkfs', '--osd-uuid', $osdUuid)
        $osd = Start-TsDaemon 'ceph-osd' @('-f', '-c', $conf, '-i', $osdId) $runDir
        $entry.OsdPid = $osd.Id

        # The seven pools radosgw would create one by one on its first start, created at once (saves ~6 s).
        Invoke-TsCephParallel $conf @($script:TsRgwPools | ForEach-Object { , @('osd', 'pool', 'create', $_, '8', '8') })
        Invoke-TsCephParallel $conf @($script:TsRgwPools | ForEach-Object { , @('osd', 'pool', 'application', 'enable', $_, 'rgw') })

        # The OSD must be up before radosgw-admin can write the user (and with it the default zone).
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ($true) {
            $stat = (Invoke-TsCeph $conf @('osd', 'stat', '-f', 'json')) -join '' | ConvertFrom-Json
            if ($stat.num_up_osds -ge 1) { break }
            if ([DateTime]::UtcNow -gt $deadline) { throw "The Ceph OSD did not come up within 60 s. Log: $(Join-Path $runDir 'log')" }
            if ($osd.HasExited) { throw "ceph-osd exited with code $($osd.ExitCode). Log: $(Join-Path $runDir 'log')" }
            Start-Sleep -Milliseconds 200
        }
        $admin = @('-c', $conf, '-n', 'client.rgw')
        $null = Invoke-TsNative -FilePath 'radosgw-admin' -ArgumentList ($admin + @('user', 'create', '--uid', 'clutter-test',
                '--display-name', 'ClutterDR tests', '--access-key', $AccessKey, '--secret-key', $SecretKey))
        foreach ($class in $script:TsRgwStorageClasses) {
            $null = Invoke-TsNative -FilePath 'radosgw-admin' -ArgumentList ($admin + @('zonegroup', 'placement', 'add',
                    '--rgw-zonegroup', 'default', '--placement-id', 'default-placement', '--storage-class', $class))
            $null = Invoke-TsNative -FilePath 'radosgw-admin' -ArgumentList ($admin + @('zone', 'placement', 'add',
                    '--rgw-zone', 'default', '--placement-id', 'default-placement', '--storage-class', $class,
                    '--data-pool', 'default.rgw.buckets.data'))
        }

        $rgw = Start-TsDaemon 'radosgw' @('-f', '-c', $conf, '-n', 'client.rgw') $runDir
        $entry.Pid = $rgw.Id
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Test-TsS3 -Endpoint $entry.Endpoint -TimeoutMs 1000)) {
            if ($rgw.HasExited) { throw "radosgw exited with code $($rgw.ExitCode). Log: $($entry.LogFile)" }
            if ([DateTime]::UtcNow -gt $deadline) { throw "radosgw did not answer on $($entry.Endpoint) within 60 s. Log: $($entry.LogFile)" }
            Start-Sleep -Milliseconds 100
        }
    } catch {
        $err = $_
        try { Stop-TsRgw -Entry $entry } catch { Write-Verbose "cleanup failed: $_" }
        throw $err
    }
    Write-TsStatus ("S3 server (Ceph RGW) started on {0} (pids mon {1}, osd {2}, rgw {3}) in {4:N1} s" -f
        $entry.Endpoint, $entry.MonPid, $entry.OsdPid, $entry.Pid, $sw.Elapsed.TotalSeconds)
    return $entry
}

function Test-TsRgwAlive($Entry) {
    return (Test-TsProcess -ProcessId $Entry.Pid -NameLike 'radosgw*') -and
        (Test-TsProcess -ProcessId $Entry.OsdPid -NameLike 'ceph-osd*') -and
        (Test-TsProcess -ProcessId $Entry.MonPid -NameLike 'ceph-mon*') -and
        (Test-TsS3 -Endpoint $Entry.Endpoint)
}

function Stop-TsRgw {
    param([Parameter(Mandatory)] $Entry)
    # The OSD keeps every object in RAM: killing it frees that; nothing on disk needs an orderly shutdown.
    Stop-TsProcess -ProcessId ([int]$Entry.Pid) -NameLike 'radosgw*'
    Stop-TsProcess -ProcessId ([int]$Entry.OsdPid) -NameLike 'ceph-osd*'
    Stop-TsProcess -ProcessId ([int]$Entry.MonPid) -NameLike 'ceph-mon*'
    Remove-TsDirectory $Entry.RunDir
}
