using System.Collections;
using System.ComponentModel;
using System.Diagnostics;
using System.IO.Enumeration;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ClutterDR.Notify;

namespace ClutterDR.Config;

/// <summary>One entry of a configuration backup's tar: bytes held in memory (secrets never touch a disk in the clear) or a file.</summary>
internal sealed record ConfigEntry(string Name, byte[]? Bytes, string? FilePath, bool Secret);

/// <summary>
/// Reads the sources of a configuration backup, all before anything is written: the environment variables matching
/// the patterns (env.json), each -Uri's JSON document (uri-N.json, GET with the bearer token, retried by
/// <see cref="RetryPolicy"/> when transient), each repository as a bundle (repo-N.bundle: git bundle create --all, through
/// ProcessStartInfo.ArgumentList, into a temporary file removed afterwards), and each -Path file (files/&lt;name&gt;).
/// </summary>
internal sealed class ConfigSources : IDisposable
{
    private readonly List<string> _temporary = new();
    public List<ConfigEntry> Entries { get; } = new();
    /// <summary>What contents.json records of each entry: its source, never a value.</summary>
    public List<Dictionary<string, string>> Index { get; } = new();
    public int VariableCount { get; private set; }

    public static async Task<ConfigSources> ReadAsync(ConfigBackupRequest request, IEngineHost host, CancellationToken cancellationToken)
    {
        var sources = new ConfigSources();
        try
        {
            sources.AddEnvironment(request.EnvironmentVariables);
            for (var i = 0; i < request.Uris.Count; i++)
                await sources.AddUriAsync(request.Uris[i], i + 1, request.UriTimeout, host, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < request.GitRepositories.Count; i++)
                await sources.AddGitAsync(request.GitRepositories[i], i + 1, host, cancellationToken).ConfigureAwait(false);
            sources.AddFiles(request.Paths);
            return sources;
        }
        catch
        {
            sources.Dispose();
            throw;
        }
    }

    /// <summary>The variables matching the patterns (case-insensitive on Windows, as its environment is), as one JSON object.</summary>
    private void AddEnvironment(IReadOnlyList<string> patterns)
    {
        if (patterns.Count == 0) return;
        var ignoreCase = OperatingSystem.IsWindows();
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var name = (string)e.Key;
            if (patterns.Any(p => FileSystemName.MatchesSimpleExpression(p, name, ignoreCase))) values[name] = (string?)e.Value ?? "";
        }
        if (values.Count == 0) return; // NothingToBackUpConfig when no other source either
        VariableCount = values.Count;
        Entries.Add(new ConfigEntry("env.json", JsonSerializer.SerializeToUtf8Bytes(values, new JsonSerializerOptions { WriteIndented = true }), null, Secret: true));
        Index.Add(new() { ["file"] = "env.json", ["source"] = "environment", ["variables"] = string.Join(",", values.Keys) });
    }

    private async Task AddUriAsync(ConfigUri source, int n, TimeSpan timeout, IEngineHost host, CancellationToken cancellationToken)
    {
        var display = SecretText.DisplayUri(source.Uri);
        Notifier.Check(source.Uri, "Uri");
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = timeout };
        var retry = new RetryPolicy(classify: Notifier.Classify);
        byte[] body;
        try
        {
            body = await retry.ExecuteAsync(async ct =>
            {
                using var get = new HttpRequestMessage(HttpMethod.Get, source.Uri);
                get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                if (source.BearerToken is not null)
                    get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", new NetworkCredential("", source.BearerToken).Password);
                using var response = await http.SendAsync(get, ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                    throw new HttpRequestException($"{display} answered {(int)response.StatusCode} ({response.ReasonPhrase})", null, response.StatusCode);
                return await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var hint = e is HttpRequestException { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden } ? " Check -BearerToken." : "";
            throw new ClutterException(Errors.ConfigSourceFailed,
                $"The JSON document at {display} could not be read: {(e is TaskCanceledException ? $"no answer within {Format.Duration(timeout)}" : e.Message)}.{hint} Nothing was written.", display, e);
        }
        try { using var _ = JsonDocument.Parse(body); }
        catch (JsonException e)
        {
            throw new ClutterException(Errors.ConfigSourceFailed, $"{display} did not answer with JSON ({e.Message}). Nothing was written; check the URI.", display, e);
        }
        host.Verbose($"Fetched {Format.Bytes(body.Length)} of JSON from {display}.");
        var name = $"uri-{n}.json";
        Entries.Add(new ConfigEntry(name, body, null, Secret: true));
        Index.Add(new() { ["file"] = name, ["source"] = display });
    }

    private async Task AddGitAsync(string repository, int n, IEngineHost host, CancellationToken cancellationToken)
    {
        var bundle = Path.Combine(Path.GetTempPath(), $"clutterdr-{Guid.NewGuid():N}.bundle");
        _temporary.Add(bundle);
        var psi = new ProcessStartInfo("git") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-C", repository, "bundle", "create", "--quiet", bundle, "--all" }) psi.ArgumentList.Add(a);
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        string stderr;
        int exit;
        try
        {
            using var git = Process.Start(psi)!;
            var err = git.StandardError.ReadToEndAsync(cancellationToken);
            _ = git.StandardOutput.ReadToEndAsync(cancellationToken);
            await git.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            stderr = (await err.ConfigureAwait(false)).Trim();
            exit = git.ExitCode;
        }
        catch (Win32Exception e)
        {
            throw new ClutterException(Errors.ConfigSourceFailed, $"git could not be started ({e.Message}): install git (Debian package git) to back up {repository}.", repository, e);
        }
        if (exit != 0 || !File.Exists(bundle))
            throw new ClutterException(Errors.ConfigSourceFailed, $"git bundle create --all of {repository} failed (exit code {exit}): {(stderr.Length > 0 ? stderr : "(no message)")}. Nothing was written.", repository);
        host.Verbose($"Bundled {repository}: {Format.Bytes(new FileInfo(bundle).Length)}.");
        var name = $"repo-{n}.bundle";
        Entries.Add(new ConfigEntry(name, null, bundle, Secret: false));
        Index.Add(new() { ["file"] = name, ["source"] = Path.GetFullPath(repository) });
    }

    private void AddFiles(IReadOnlyList<string> paths)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (!File.Exists(path))
                throw new ClutterException(Errors.ConfigSourceFailed, $"The file '{path}' does not exist (or is a folder). Nothing was written; check -Path.", path);
            var fileName = Path.GetFileName(path);
            var name = "files/" + fileName;
            for (var i = 2; !used.Add(name); i++) name = $"files/{i}/{fileName}";
            Entries.Add(new ConfigEntry(name, null, Path.GetFullPath(path), Secret: true));
            Index.Add(new() { ["file"] = name, ["source"] = Path.GetFullPath(path) });
        }
    }

    public void Dispose()
    {
        foreach (var t in _temporary)
            try { File.Delete(t); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
