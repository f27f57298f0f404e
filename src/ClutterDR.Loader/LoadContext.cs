using System.Reflection;
using System.Runtime.Loader;

namespace ClutterDR.Loader;

/// <summary>
/// The module's private AssemblyLoadContext. ClutterDR.dll and every assembly in the module's bin
/// folder load here, so another module's Npgsql or AWSSDK.Core in the same process cannot clash with
/// ours, and a dependency newer than the runtime's own copy (System.Diagnostics.DiagnosticSource 9.0
/// on .NET 8) loads from the module folder instead of failing against the runtime's older one.
/// Anything not in the folder (System.Management.Automation, the framework) comes from the default
/// context, so the types PowerShell and the cmdlets exchange are the same types.
/// One instance per process: Import-Module -Force reuses it (an assembly cannot load twice into one
/// context, and a non-collectible context cannot be unloaded).
/// </summary>
public sealed class LoadContext : AssemblyLoadContext
{
    /// <summary>The cmdlet assembly, beside this loader.</summary>
    public const string ModuleAssemblyName = "ClutterDR";

    private static readonly object Sync = new();
    private static LoadContext? _instance;

    private readonly string _directory;
    private readonly Assembly _loader;
    private readonly string _loaderName;

    private LoadContext(string directory)
        : base(name: ModuleAssemblyName, isCollectible: false)
    {
        _directory = directory;
        _loader = typeof(LoadContext).Assembly;
        _loaderName = _loader.GetName().Name!;
        ModuleAssembly = LoadFromAssemblyPath(Path.Combine(directory, ModuleAssemblyName + ".dll"));
    }

    /// <summary>ClutterDR.dll as loaded in this context.</summary>
    public Assembly ModuleAssembly { get; }

    /// <summary>The folder every private assembly loads from.</summary>
    public string Directory => _directory;

    /// <summary>
    /// Creates the context on first use (from the folder this loader is in) and returns ClutterDR.dll
    /// loaded into it; later calls return the same assembly.
    /// </summary>
    public static Assembly Initialize() => GetOrCreate().ModuleAssembly;

    /// <summary>True once the context exists in this process: the module was imported before.</summary>
    public static bool IsCreated => Volatile.Read(ref _instance) is not null;

    /// <summary>The process's one instance, created on first use.</summary>
    public static LoadContext GetOrCreate()
    {
        var instance = Volatile.Read(ref _instance);
        if (instance is not null) return instance;
        lock (Sync)
        {
            if (_instance is null)
            {
                var dir = Path.GetDirectoryName(typeof(LoadContext).Assembly.Location);
                if (string.IsNullOrEmpty(dir))
                    throw new InvalidOperationException("ClutterDR.Loader was loaded from memory, not a file: load it with Add-Type -Path or Import-Module so that its folder is known.");
                Volatile.Write(ref _instance, new LoadContext(dir));
            }
            return _instance!;
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // The loader is shared with the default context: one LoadContext type, one instance.
        if (string.Equals(assemblyName.Name, _loaderName, StringComparison.OrdinalIgnoreCase)) return _loader;

        // PowerShell's own types must be the host's: never a copy, even one left in the folder by mistake.
        if (string.Equals(assemblyName.Name, "System.Management.Automation", StringComparison.OrdinalIgnoreCase)) return null;

        // Every assembly shipped in the module folder is private, whatever it is; the rest (the framework,
        // System.Management.Automation) falls through to the default context.
        // Satellite (resource) assemblies sit in a culture folder, as publish lays them out.
        var folder = string.IsNullOrEmpty(assemblyName.CultureName) ? _directory : Path.Combine(_directory, assemblyName.CultureName);
        var path = Path.Combine(folder, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        // Native libraries a dependency brings, laid out by publish as runtimes/<rid>/native/ or beside it.
        foreach (var candidate in NativeCandidates(unmanagedDllName))
            if (File.Exists(candidate)) return LoadUnmanagedDllFromPath(candidate);
        return IntPtr.Zero;
    }

    private IEnumerable<string> NativeCandidates(string name)
    {
        var names = new List<string> { name };
        if (!Path.HasExtension(name))
        {
            if (OperatingSystem.IsWindows()) names.Add(name + ".dll");
            else if (OperatingSystem.IsMacOS()) { names.Add("lib" + name + ".dylib"); names.Add(name + ".dylib"); }
            else { names.Add("lib" + name + ".so"); names.Add(name + ".so"); }
        }
        var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        foreach (var n in names)
        {
            yield return Path.Combine(_directory, n);
            yield return Path.Combine(_directory, "runtimes", rid, "native", n);
        }
    }
}
