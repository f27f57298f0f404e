# Root module of ClutterDR. The cmdlets live in bin/ClutterDR.dll, which loads with all of its
# dependencies (Npgsql, AWSSDK.*, ZstdSharp, ...) into a private AssemblyLoadContext made by
# bin/ClutterDR.Loader.dll, the module's only assembly in PowerShell's default context. So another
# module's AWSSDK.Core or Npgsql in the same session does not clash with ours, and dependencies newer
# than the runtime's own (System.Diagnostics.DiagnosticSource 9.0 on PowerShell 7.4 / .NET 8) load.
# Nothing here may touch an SDK type: import stays cheap, the SDKs load on first use.

$binDir = [System.IO.Path]::Combine($PSScriptRoot, 'bin')
$loaderType = 'ClutterDR.Loader.LoadContext' -as [type]
$isReload = $null -ne $loaderType
if (-not $isReload) {
    $loaderType = [System.Reflection.Assembly]::LoadFrom([System.IO.Path]::Combine($binDir, 'ClutterDR.Loader.dll')).GetType('ClutterDR.Loader.LoadContext', $true)
}

# The context is created once per process and reused by Import-Module -Force.
$moduleAssembly = $loaderType::Initialize()
$importModule = Get-Command -Name Import-Module -Module Microsoft.PowerShell.Core -CommandType Cmdlet
$innerModule = & $importModule -Assembly $moduleAssembly -PassThru:$isReload

if ($innerModule) {
    # On a re-import PowerShell takes the binary module from its cache and does not add its cmdlets to
    # this module's exports (PowerShell/PowerShell#20710): add them, as the first import does.
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod(
        'AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    foreach ($cmdlet in $innerModule.ExportedCmdlets.Values) {
        $null = $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
    }
}
