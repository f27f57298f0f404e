using System.Diagnostics;
using System.Text;

namespace ClutterDR.Database;

/// <summary>
/// A running pg_dump / pg_restore / psql: arguments through ArgumentList (no shell), the connection and
/// password through the environment, stderr captured (its tail kept for error messages), killed with its
/// children on cancellation or disposal.
/// </summary>
public sealed class PgProcess : IDisposable
{
    private const int StderrTailChars = 16_384;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private readonly PgConnectionSettings? _connection;

    private PgProcess(Process process, PgConnectionSettings? connection)
    {
        _process = process;
        _connection = connection;
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    public string ToolName { get; private init; } = "";
    public Stream StandardOutput => _process.StandardOutput.BaseStream;
    public Stream StandardInput => _process.StandardInput.BaseStream;

    /// <param name="redirectOutput">True: the caller reads StandardOutput. False: stdout is read and discarded (never reaches the console).</param>
    public static PgProcess Start(PgTool tool, IEnumerable<string> arguments, PgConnectionSettings connection, bool redirectInput, bool redirectOutput) =>
        StartCore(tool, arguments, connection, redirectInput, redirectOutput);

    /// <summary>A tool that connects nowhere (pg_restore --list on an archive): no connection settings in its environment.</summary>
    public static PgProcess StartWithoutConnection(PgTool tool, IEnumerable<string> arguments, bool redirectInput, bool redirectOutput) =>
        StartCore(tool, arguments, null, redirectInput, redirectOutput);

    private static PgProcess StartCore(PgTool tool, IEnumerable<string> arguments, PgConnectionSettings? connection, bool redirectInput, bool redirectOutput)
    {
        var psi = new ProcessStartInfo(tool.Path)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            CreateNoWindow = true,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        if (connection is not null)
            foreach (var (k, v) in connection.ToolEnvironment()) psi.Environment[k] = v;
        try
        {
            var p = Process.Start(psi) ?? throw new InvalidOperationException("no process");
            if (!redirectOutput) _ = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            return new PgProcess(p, connection) { ToolName = tool.Name };
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new ClutterException(Errors.PgToolNotFound,
                $"{tool.Name} at '{tool.Path}' could not be started: {e.Message}", tool.Path, e);
        }
    }

    private async Task PumpStderrAsync()
    {
        var buffer = new char[4096];
        var reader = _process.StandardError;
        int n;
        while ((n = await reader.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false)) > 0)
        {
            lock (_stderr)
            {
                _stderr.Append(buffer, 0, n);
                if (_stderr.Length > StderrTailChars * 2) _stderr.Remove(0, _stderr.Length - StderrTailChars);
            }
        }
    }

    /// <summary>The last part of what the program wrote to stderr, with any password masked.</summary>
    public string StandardErrorTail
    {
        get
        {
            string s;
            lock (_stderr) s = _stderr.ToString();
            if (s.Length > StderrTailChars) s = s.Substring(s.Length - StderrTailChars);
            return _connection?.Scrub(s.Trim()) ?? s.Trim();
        }
    }

    /// <summary>Waits for exit; on cancellation kills the process tree and rethrows.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }
        try { await _stderrPump.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false); } catch (TimeoutException) { }
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// How a tool's exit reads in a message: "exit code 1", or on Unix, where .NET reports a process ended by a
    /// signal as 128 + the signal's number, "killed by signal 9 (SIGKILL)" (the OOM killer, kill -9, a stopped container).
    /// </summary>
    public static string DescribeExit(int exit)
    {
        if (OperatingSystem.IsWindows() || exit <= 128 || exit > 128 + 64) return $"exit code {exit}";
        var signal = exit - 128;
        var name = signal switch { 1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 6 => "SIGABRT", 9 => "SIGKILL", 11 => "SIGSEGV", 13 => "SIGPIPE", 15 => "SIGTERM", _ => null };
        return name is null ? $"killed by signal {signal}" : $"killed by signal {signal} ({name})";
    }

    /// <summary>Whether the process exits within the given time; it is left running either way.</summary>
    public async Task<bool> ExitsWithinAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return true;
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
