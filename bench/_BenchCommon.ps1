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
