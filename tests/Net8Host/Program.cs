using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace ClutterDR.Net8Host;

/// <summary>
/// Usage: Net8Host isolated|plain &lt;module folder (out/ClutterDR)&gt;
///   isolated  ClutterDR.dll and its dependencies load through bin/ClutterDR.Loader.dll into the private
///             context (as ClutterDR.psm1 does), then a backup to S3, a listing and a restore run against
///             the test servers; row counts of source and target are compared. Exit 0 when all checks pass.
///   plain     the negative control: the same assemblies load into the default context, as a flat binary
///             module would. On .NET 8 that fails (Npgsql 10 needs System.Diagnostics.DiagnosticSource 9.0,
///             the runtime has 8.0): exit 3 when it fails that way, 0 if the round trip works anyway.
/// Test servers: CLUTTERDR_TEST_PG_HOST/PORT/USER/PASSWORD, CLUTTERDR_PG_BIN, CLUTTERDR_TEST_S3_ENDPOINT,
/// CLUTTERDR_TEST_S3_ACCESS_KEY/SECRET_KEY (tests/TestServices sets them).
/// Output: one line per check, "ok: ..." or "FAIL: ...".
/// </summary>
public static class Program
{
    internal static string BinDir = "";
    private static int _failures;

    public static int Main(string[] args)
    {
        if (args.Length != 2 || args[0] is not ("isolated" or "plain"))
        {
            Console.Error.WriteLine("usage: Net8Host isolated|plain <module folder>");
            return 2;
        }
        BinDir = Path.Combine(Path.GetFullPath(args[1]), "bin");
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

    // The host is compiled against the module's assemblies but ships none: the default context asks here.
    private static Assembly? ResolveIsolated(AssemblyLoadContext defaultContext, AssemblyName name)
    {
        // The loader lives in the default context (as PowerShell's Add-Type/LoadFrom puts it there)...
        if (name.Name == "ClutterDR.Loader") return defaultContext.LoadFromAssemblyPath(Path.Combine(BinDir, "ClutterDR.Loader.dll"));
        // ...and hands over ClutterDR.dll from its private context, as Import-Module -Assembly receives it.
        if (name.Name == "ClutterDR") return InitializeLoader();
        return null;
    }

    // Apart from the handler: JIT-compiling the handler must not itself need ClutterDR.Loader.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Assembly InitializeLoader() => ClutterDR.Loader.LoadContext.Initialize();

    // Negative control: what PowerShell does for a flat binary module, everything in the default context.
    private static Assembly? ResolvePlain(AssemblyLoadContext defaultContext, AssemblyName name)
    {
        var path = Path.Combine(BinDir, name.Name + ".dll");
        return File.Exists(path) ? defaultContext.LoadFromAssemblyPath(path) : null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReportContexts()
    {
        var loaded = AppDomain.CurrentDomain.GetAssemblies()
            .Select(a => (Name: a.GetName(), Context: AssemblyLoadContext.GetLoadContext(a)))
            .ToList();
        foreach (var (n, c) in loaded.Where(x => Path.Exists(Path.Combine(BinDir, x.Name.Name + ".dll"))).OrderBy(x => x.Name.Name))
            Console.WriteLine($"loaded: {n.Name} {n.Version} in {(c == AssemblyLoadContext.Default ? "Default" : c?.Name)}");

        bool In(string asm, string ctx) => loaded.Any(x => x.Name.Name == asm && (x.Context == AssemblyLoadContext.Default ? "Default" : x.Context?.Name) == ctx);
        Check(In("ClutterDR", "ClutterDR") && !In("ClutterDR", "Default"), "ClutterDR.dll is in the private context only");
        Check(In("ClutterDR.Loader", "Default") && !In("ClutterDR.Loader", "ClutterDR"), "ClutterDR.Loader.dll is in the default context only");
        foreach (var dep in new[] { "Npgsql", "AWSSDK.Core", "AWSSDK.S3", "ZstdSharp" })
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
