using System.Reflection;
using System.Runtime.Loader;

namespace ClutterDR.Loading;

/// <summary>
/// The module's private AssemblyLoadContext. The cmdlet assembly (ClutterDR.dll) is in PowerShell's
/// default context and references only PowerShell, the framework and ClutterDR.Engine.dll. When the
/// default context asks for ClutterDR.Engine, <see cref="Register"/>'s handler answers with the copy
/// loaded here, from bin/lib/; the engine's own dependencies (Npgsql, AWSSDK.*, BouncyCastle, ZstdSharp,
/// System.Diagnostics.DiagnosticSource 9.0, ...) then resolve in this context, from the same folder.
/// So another module's Npgsql or AWSSDK.Core in the same process cannot clash with ours, and a
/// dependency newer than the runtime's own (DiagnosticSource 9.0 on .NET 8 / PowerShell 7.4) loads.
/// Anything not in bin/lib (System.Management.Automation, the framework) comes from the default context.
/// The pattern is Microsoft's "Resolving PowerShell module assembly dependency conflicts", loading
/// through an AssemblyLoadContext: it needs no script root module, which keeps Import-Module fast.
/// One instance per process: Import-Module -Force reuses it (a non-collectible context stays).
/// </summary>
public sealed class EngineLoadContext : AssemblyLoadContext
{
    /// <summary>The engine assembly, the one name the default context is answered for.</summary>
    public const string EngineAssemblyName = "ClutterDR.Engine";

    /// <summary>The folder, under the cmdlet assembly's, that holds the engine and its dependencies.</summary>
    public const string PrivateFolderName = "lib";

    private static readonly object Sync = new();
    private static EngineLoadContext? _instance;
    private static int _registered;

    private readonly string _directory;

    private EngineLoadContext(string directory)
        : base(name: "ClutterDR", isCollectible: false)
    {
        _directory = directory;
    }

    /// <summary>The folder every private assembly loads from (bin/lib).</summary>
    public string Directory => _directory;

    /// <summary>True once the context exists in this process (the engine was first needed).</summary>
    public static bool IsCreated => Volatile.Read(ref _instance) is not null;

    /// <summary>
    /// Makes the default context resolve ClutterDR.Engine through this context. Idempotent: the module's
    /// initializer calls it on every import, a host (tests/Net8Host) before it first touches an engine type.
    /// The context itself is created on the first request for the engine, not here.
    /// </summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        Default.Resolving += ResolveEngine;
    }

    /// <summary>The process's one instance, created on first use.</summary>
    public static EngineLoadContext GetOrCreate()
    {
        var instance = Volatile.Read(ref _instance);
        if (instance is not null) return instance;
        lock (Sync)
        {
            if (_instance is null)
            {
                var dir = Path.GetDirectoryName(typeof(EngineLoadContext).Assembly.Location);
                if (string.IsNullOrEmpty(dir))
                    throw new InvalidOperationException("ClutterDR.dll was loaded from memory, not a file: import the module by its manifest so that its folder is known.");
                Volatile.Write(ref _instance, new EngineLoadContext(Path.Combine(dir, PrivateFolderName)));
            }
            return _instance!;
        }
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        string.Equals(name.Name, EngineAssemblyName, StringComparison.OrdinalIgnoreCase)
            ? GetOrCreate().LoadFromAssemblyName(name)
            : null;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // PowerShell's own types, and the cmdlet assembly, must be the host's: never a private copy.
        if (string.Equals(assemblyName.Name, "System.Management.Automation", StringComparison.OrdinalIgnoreCase)) return null;
        if (string.Equals(assemblyName.Name, typeof(EngineLoadContext).Assembly.GetName().Name, StringComparison.OrdinalIgnoreCase)) return null;

        // Every assembly shipped in bin/lib is private, whatever it is; the rest (the framework)
        // falls through to the default context.
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
