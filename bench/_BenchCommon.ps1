# Helpers the benchmark scripts share (dot-sourced by bench/backup.ps1 and bench/sync.ps1).

function Write-Status([string]$Message) { [Console]::Error.WriteLine("[bench] $(Get-Date -Format 'HH:mm:ss') $Message") }

function ConvertTo-ShArg([string]$Text) { "'" + ($Text -replace "'", "'\''") + "'" }

# The running PowerShell as a command line: pwsh itself, or `dotnet <PSHOME>/pwsh.dll` for the dotnet tool
# (`dotnet pwsh` goes through the SDK and a shim: extra processes that GNU time would count).
function Get-PwshCommand {
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'pwsh') { return , @($exe) }
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path -LiteralPath $dll -PathType Leaf) { return , @($exe, $dll) }
    throw "Cannot tell how to start PowerShell (process '$exe', PSHOME '$PSHOME')."
}

# Clock ticks per second of /proc CPU times (USER_HZ, 100 on Linux).
$script:ClkTck = 100.0

# CPU seconds the whole machine has been busy (all cores) since boot.
function Get-MachineBusySeconds {
    $f = (Get-Content -LiteralPath /proc/stat -TotalCount 1) -split '\s+'
    # cpu user nice system idle iowait irq softirq steal
    ([long]$f[1] + [long]$f[2] + [long]$f[3] + [long]$f[6] + [long]$f[7] + [long]$f[8]) / $script:ClkTck
}

# CPU seconds per server group of $script:ServerGroups (name -> process ids, set by the calling script): its processes,
# their live children, and their children already reaped.
function Get-ServerCpuByGroup {
    $ticks = @{}
    $owner = @{}
    foreach ($g in $script:ServerGroups.Keys) { $ticks[$g] = 0L; foreach ($p in $script:ServerGroups[$g]) { $owner[[int]$p] = $g } }
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$') { continue }
        try { $stat = [IO.File]::ReadAllText("$dir/stat") } catch { continue }
        $f = $stat.Substring($stat.LastIndexOf(')') + 2) -split ' '
        $procId = [int]$name
        if ($owner.ContainsKey($procId)) { $ticks[$owner[$procId]] += [long]$f[11] + [long]$f[12] + [long]$f[13] + [long]$f[14] }
        elseif ($owner.ContainsKey([int]$f[1])) { $ticks[$owner[[int]$f[1]]] += [long]$f[11] + [long]$f[12] }
    }
    $seconds = @{}
    foreach ($g in $ticks.Keys) { $seconds[$g] = $ticks[$g] / $script:ClkTck }
    $seconds
}
# This script's own CPU (not its reaped children: the measured steps are those).
function Get-SelfCpuSeconds {
    $stat = [IO.File]::ReadAllText("/proc/$PID/stat")
    $f = $stat.Substring($stat.LastIndexOf(')') + 2) -split ' '
    ([long]$f[11] + [long]$f[12]) / $script:ClkTck
}

. (Join-Path (Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'tests') 'TestServices') 'S3Signing.ps1')   # Invoke-SignedS3Request

# The processes that make up the S3 server listening on the endpoint's port: s3rver is one node process; Ceph RGW is
# radosgw plus the ceph-osd and ceph-mon of its cluster (the processes whose command line names the same ceph.conf).
function Get-S3ServerProcessIds([string]$Endpoint) {
    $port = ([uri]$Endpoint).Port
    $ssOut = (& ss -Hltnp "sport = :$port" 2>$null) -join ' '
    if ($ssOut -notmatch 'pid=(\d+)') { throw "no process listens on port $port (ss: $ssOut)" }
    $listener = [int]$Matches[1]
    $argv = @(([IO.File]::ReadAllText("/proc/$listener/cmdline")) -split "`0" | Where-Object { $_ })
    $i = [array]::IndexOf($argv, '-c')
    if ([IO.Path]::GetFileName($argv[0]) -ne 'radosgw' -or $i -lt 0 -or $i + 1 -ge $argv.Count) { return , @($listener) }
    $conf = $argv[$i + 1]
    $found = @($listener)
    foreach ($dir in [IO.Directory]::EnumerateDirectories('/proc')) {
        $name = [IO.Path]::GetFileName($dir)
        if ($name -notmatch '^\d+$' -or [int]$name -eq $listener) { continue }
        try { $a = @(([IO.File]::ReadAllText("$dir/cmdline")) -split "`0" | Where-Object { $_ }) } catch { continue }
        if ($a.Count -lt 3 -or [IO.Path]::GetFileName($a[0]) -notin 'ceph-osd', 'ceph-mon') { continue }
        $j = [array]::IndexOf($a, '-c')
        if ($j -ge 0 -and $j + 1 -lt $a.Count -and $a[$j + 1] -eq $conf) { $found += [int]$name }
    }
    , $found
}
