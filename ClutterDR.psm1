# Root module of ClutterDR. The cmdlets live in bin/ClutterDR.dll, which loads with all of its
# dependencies (Npgsql, AWSSDK.*, ZstdSharp, ...) into a private AssemblyLoadContext made by
# bin/ClutterDR.Loader.dll, the module's only assembly in PowerShell's default context. So another
# module's AWSSDK.Core or Npgsql in the same session does not clash with ours, and dependencies newer
# than the runtime's own (System.Diagnostics.DiagnosticSource 9.0 on PowerShell 7.4 / .NET 8) load.
# Import time matters: no SDK type is touched here (they load on a cmdlet's first use), and few .NET
# methods are called from script (PowerShell's first call of a method on a type costs milliseconds).

# LoadFrom of a path already loaded returns that assembly: cheaper than asking whether the type exists.
$null = [System.Reflection.Assembly]::LoadFrom("$PSScriptRoot/bin/ClutterDR.Loader.dll")
$isReload = [ClutterDR.Loader.LoadContext]::IsCreated

# The context is made once per process; Import-Module -Force reuses it.
$innerModule = Microsoft.PowerShell.Core\Import-Module -Assembly ([ClutterDR.Loader.LoadContext]::Initialize()) -PassThru:$isReload

if ($innerModule) {
    # On a re-import PowerShell takes the binary module from its cache and does not add its cmdlets to
    # this module's exports (PowerShell/PowerShell#20710): add them, as the first import does.
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
        'AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    foreach ($cmdlet in $innerModule.ExportedCmdlets.Values) {
        $null = $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
    }
}
