using System.Management.Automation;
using System.Management.Automation.Host;
using System.Runtime.InteropServices;

namespace ClutterDR.Commands;

/// <summary>
/// How a plan run ends for the process that runs it. pwsh -File exits 0 after a statement-terminating error and after
/// Ctrl+C/SIGINT stops the script (ConsoleHost stops the pipeline and counts that as success), and .NET's default
/// SIGTERM exits at once (143) without letting a step clean up. So: SIGINT/SIGTERM are caught while a plan runs and
/// stop the running step; the end is a script-terminating error (like `throw`: a -File script exits 1), and a stopped
/// plan in a pwsh -File/-Command run also sets the process's exit code (130 SIGINT, 143 SIGTERM) through the host.
/// </summary>
internal sealed class PlanExit : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = new();
    private readonly Action _stop;
    private volatile string? _signal;

    public PlanExit(Action stop)
    {
        _stop = stop;
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; Stopped("SIGTERM"); }));
        // SIGINT: pwsh's own Ctrl+C handling stops the pipeline too (StopProcessing); cancel the process's default exit.
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; Stopped("SIGINT"); }));
    }

    /// <summary>SIGINT, SIGTERM, "a stop request" (StopProcessing without a signal), or null while running.</summary>
    public string? Signal => _signal;

    public void Stopped(string why)
    {
        _signal ??= why;
        _stop();
    }

    /// <summary>130 or 143 for a pwsh that runs a script or command (never an interactive prompt, which would close); false when not set.</summary>
    public bool SetExitCode(PSHost host)
    {
        if (_signal is not ("SIGINT" or "SIGTERM") || host.Name != "ConsoleHost" || !RunsScriptOrCommand()) return false;
        host.SetShouldExit(_signal == "SIGINT" ? 130 : 143);
        return true;
    }

    private static bool RunsScriptOrCommand()
    {
        var args = Environment.GetCommandLineArgs().Skip(1).Select(a => a.TrimStart('-', '/').ToLowerInvariant()).ToArray();
        static bool Is(string a, string full, int min) => a.Length >= min && full.StartsWith(a, StringComparison.Ordinal);
        if (args.Any(a => Is(a, "noexit", 3))) return false;
        return args.Any(a => Is(a, "file", 1) || Is(a, "command", 1) || Is(a, "encodedcommand", 1) || a == "ec" || a.EndsWith(".ps1", StringComparison.Ordinal));
    }

    /// <summary>A script-terminating error: the rest of the script does not run and pwsh -File exits 1; try/catch catches it.</summary>
    public static RuntimeException Terminating(ClutterException e) =>
        new(e.Message, e, ErrorRecords.From(e)) { WasThrownFromThrowStatement = true };

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
