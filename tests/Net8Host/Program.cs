using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace ClutterDR.Net8Host;

/// <summary>
/// Usage: Net8Host isolated|plain &lt;module folder (out/ClutterDR)&gt;
///   isolated  bin/ClutterDR.dll loads into the default context (as Import-Module loads the root module) and
///             its module initializer's EngineLoadContext.Register() runs; the engine (bin/lib/ClutterDR.Engine.dll)
///             and its dependencies then load into the private context. A backup to S3, a listing and a
///             restore run against the test servers; row counts of source and target are compared. Exit 0
///             when all checks pass.
///   plain     the negative control: the same assemblies load into the default context, as a flat binary
///             module with every DLL beside it would. On .NET 8 that fails (Npgsql 10 needs System.Diagnostics.DiagnosticSource 9.0,
///             the runtime has 8.0): exit 3 when it fails that way, 0 if the round trip works anyway.
/// Test servers: CLUTTERDR_TEST_PG_HOST/PORT/USER/PASSWORD, CLUTTERDR_PG_BIN, CLUTTERDR_TEST_S3_ENDPOINT,
/// CLUTTERDR_TEST_S3_ACCESS_KEY/SECRET_KEY (tests/TestServices sets them).
/// Output: one line per check, "ok: ..." or "FAIL: ...".
/// </summary>
public static class Program
{
    internal static string BinDir = "";
    internal static string LibDir = "";
    private static int _failures;

    public static int Main(string[] args)
    {
        if (args.Length != 2 || args[0] is not ("isolated" or "plain"))
        {
            Console.Error.WriteLine("usage: Net8Host isolated|plain <module folder>");
            return 2;
        }
        BinDir = Path.Combine(Path.GetFullPath(args[1]), "bin");
        LibDir = Path.Combine(BinDir, "lib");
        if (!File.Exists(Path.Combine(BinDir, "ClutterDR.dll")))
        {
            Console.Error.WriteLine($"No ClutterDR.dll in '{BinDir}': run build.ps1 -Task Build first.");
            return 2;
        }

        Console.WriteLine($"runtime: {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier}), from {Path.GetDirectoryName(typeof(object).Assembly.Location)}");
        Check(Environment.Version.Major == 8, $"runs on .NET 8 (Environment.Version {Environment.Version})");
        Check(Path.GetDirectoryName(typeof(object).Assembly.Location) == AppContext.BaseDirectory.TrimEnd('/', '\\'),
            "the runtime is the host's own self-contained copy");
        var frameworkDiag = typeof(Activity).Assembly.GetName().Version!;
        Console.WriteLine($"runtime's System.Diagnostics.DiagnosticSource: {frameworkDiag}");

        if (args[0] == "isolated")
        {
            AssemblyLoadContext.Default.Resolving += ResolveIsolated;
            try
            {
                RegisterEngine();
                RoundTrip.RunAsync().GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                Fail($"round trip threw {e.GetType().FullName}: {e.Message}");
                Console.WriteLine(e);
            }
            ReportContexts();
            Console.WriteLine(_failures == 0 ? "result: all checks passed" : $"result: {_failures} check(s) failed");
            return _failures == 0 ? 0 : 1;
        }

        AssemblyLoadContext.Default.Resolving += ResolvePlain;
        try
        {
            RoundTrip.RunAsync().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            var chain = string.Join(" <- ", Chain(e).Select(x => $"{x.GetType().Name}: {x.Message}"));
            Console.WriteLine($"plain load failed: {chain}");
            if (Chain(e).Any(x => x is FileLoadException or FileNotFoundException && x.Message.Contains("System.Diagnostics.DiagnosticSource", StringComparison.Ordinal)))
            {
                Console.WriteLine("result: plain load fails on System.Diagnostics.DiagnosticSource (expected on .NET 8)");
                return 3;
            }
            return 1;
        }
        Console.WriteLine(_failures == 0 ? "result: plain load worked" : $"result: {_failures} check(s) failed");
        return _failures == 0 ? 0 : 1;
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
        if (e is AggregateException a) foreach (var i in a.InnerExceptions.SelectMany(Chain)) yield return i;
    }

    // The host is compiled against the module's assemblies but ships none: the default context asks here
    // for the cmdlet assembly, which loads from bin/ into the default context, as Import-Module loads it.
    private static Assembly? ResolveIsolated(AssemblyLoadContext defaultContext, AssemblyName name) =>
        name.Name == "ClutterDR" ? defaultContext.LoadFromAssemblyPath(Path.Combine(BinDir, "ClutterDR.dll")) : null;

    // What the module's initializer (IModuleAssemblyInitializer.OnImport) does at Import-Module. Apart from
    // Main: JIT-compiling Main must not itself need ClutterDR.dll before the handler above is in place.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RegisterEngine() => ClutterDR.Loading.EngineLoadContext.Register();

    // Negative control: what PowerShell does for a flat binary module, everything in the default context.
    private static Assembly? ResolvePlain(AssemblyLoadContext defaultContext, AssemblyName name)
    {
        foreach (var dir in new[] { BinDir, LibDir })
        {
            var path = Path.Combine(dir, name.Name + ".dll");
            if (File.Exists(path)) return defaultContext.LoadFromAssemblyPath(path);
        }
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReportContexts()
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies()
            .Select(a => (Name: a.GetName(), Context: AssemblyLoadContext.GetLoadContext(a)))
            .ToList();
        foreach (var (n, c) in loaded.Where(x => Path.Exists(Path.Combine(BinDir, x.Name.Name + ".dll")) || Path.Exists(Path.Combine(LibDir, x.Name.Name + ".dll"))).OrderBy(x => x.Name.Name))
            Console.WriteLine($"loaded: {n.Name} {n.Version} in {(c == AssemblyLoadContext.Default ? "Default" : c?.Name)}");

        bool In(string asm, string ctx) => loaded.Any(x => x.Name.Name == asm && (x.Context == AssemblyLoadContext.Default ? "Default" : x.Context?.Name) == ctx);
        Check(In("ClutterDR", "Default") && !In("ClutterDR", "ClutterDR"), "ClutterDR.dll (the cmdlets) is in the default context only");
        foreach (var dep in new[] { "ClutterDR.Engine", "Npgsql", "AWSSDK.Core", "AWSSDK.S3", "ZstdSharp" })
            Check(In(dep, "ClutterDR") && !In(dep, "Default"), $"{dep} is in the private context only");
        var privateDiag = loaded.FirstOrDefault(x => x.Name.Name == "System.Diagnostics.DiagnosticSource" && x.Context?.Name == "ClutterDR");
        Check(privateDiag.Name?.Version?.Major >= 9, $"the private context has System.Diagnostics.DiagnosticSource {privateDiag.Name?.Version} from the module folder");
    }

    internal static void Check(bool ok, string what)
    {
        Console.WriteLine((ok ? "ok: " : "FAIL: ") + what);
        if (!ok) _failures++;
    }

    internal static void Fail(string what) => Check(false, what);
}
