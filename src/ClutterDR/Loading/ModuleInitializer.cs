using System.Management.Automation;

namespace ClutterDR.Loading;

/// <summary>
/// Run by Import-Module (every import, -Force too): routes the engine into the private load context
/// before any cmdlet runs. Touches no engine type itself.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport() => EngineLoadContext.Register();
}
