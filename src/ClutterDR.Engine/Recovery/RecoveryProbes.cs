using System.Diagnostics;
using System.Net.Sockets;
using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Recovery;

/// <summary>
/// The checks of a recovery outside the database: the storage location listed and one object read end to end,
/// media objects read end to end (through IObjectStore, as every other reader), and health endpoints asked over
/// HTTP. Each returns (ok, detail) or throws what the check failed with.
/// </summary>
internal sealed class RecoveryProbes(RecoveryRequest request, CancellationToken cancellationToken) : IDisposable
{
    private readonly Dictionary<string, BackupRepository> _open = new(StringComparer.Ordinal);
    private HttpClient? _http;

    public async Task<(bool, string)> StorageAsync()
    {
        var repository = Open(request.StorageLocation!);
        await repository.EnsureReadableAsync(cancellationToken).ConfigureAwait(false);
        ObjectEntry? first = null;
        await foreach (var entry in repository.ListAsync("", cancellationToken).ConfigureAwait(false)) { first = entry; break; }
        if (first is null)
            return (false, "Listed, but the location holds no object: the media were not restored here, or -StorageLocation names the wrong place.");
        var read = await ReadToEndAsync(repository, first.Key).ConfigureAwait(false);
        return read == first.Size
            ? (true, $"Listed; read '{first.Key}' end to end ({Format.Bytes(read)}).")
            : (false, $"Listed; '{first.Key}' is listed with {first.Size} bytes but {read} could be read.");
    }

    /// <summary>What users see for a sample: the full location of the object.</summary>
    public string DescribeSample(string sample)
    {
        if (IsFullLocation(sample) || request.StorageLocation is null) return sample;
        return request.StorageLocation.Describe(sample.TrimStart('/'));
    }

    public async Task<(bool, string)> SampleAsync(string sample)
    {
        BackupLocation location;
        string key;
        if (IsFullLocation(sample))
        {
            var parsed = BackupLocation.Parse(sample);
            if (parsed.IsS3)
            {
                var slash = parsed.Prefix.LastIndexOf('/');
                (location, key) = (BackupLocation.ForS3(parsed.Bucket, slash < 0 ? "" : parsed.Prefix[..slash]), parsed.Prefix[(slash + 1)..]);
            }
            else (location, key) = (BackupLocation.ForFolder(Path.GetDirectoryName(parsed.Path)!), Path.GetFileName(parsed.Path));
            if (key.Length == 0) return (false, $"'{sample}' names no object: give s3://bucket/key or a file path.");
        }
        else if (request.StorageLocation is null)
            return (false, $"'{sample}' is a key, but no -StorageLocation says where: give -StorageLocation, or the full location (s3://bucket/key).");
        else (location, key) = (request.StorageLocation, sample.TrimStart('/'));

        var repository = Open(location);
        var stat = await repository.Store.StatAsync(key, cancellationToken).ConfigureAwait(false);
        if (stat is null) return (false, $"'{repository.Describe(key)}' does not exist.");
        var read = await ReadToEndAsync(repository, key).ConfigureAwait(false);
        return read == stat.Size
            ? (true, $"Read end to end ({Format.Bytes(read)}{(stat.ContentType is { Length: > 0 } type ? ", " + type : "")}).")
            : (false, $"'{repository.Describe(key)}' has {stat.Size} bytes but {read} could be read.");
    }

    public async Task<(bool, string)> HealthAsync(Uri uri)
    {
        _http ??= new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(request.Timeout);
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            var text = $"{code} {response.ReasonPhrase} in {Format.Duration(watch.Elapsed)}";
            return code is >= 200 and < 300 ? (true, $"Answered {text}.") : (false, $"Answered {text}; a health check must answer 2xx.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"No answer within {Format.Duration(request.Timeout)} (-TimeoutSec).");
        }
    }

    private BackupRepository Open(BackupLocation location)
    {
        var text = location.ToString();
        if (!_open.TryGetValue(text, out var repository)) _open[text] = repository = BackupRepository.Open(location, request.S3);
        return repository;
    }

    private async Task<long> ReadToEndAsync(BackupRepository repository, string key)
    {
        await using var stream = await repository.Store.OpenReadAsync(key, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) total += n;
        return total;
    }

    private static bool IsFullLocation(string sample) => BackupLocation.LooksLikeS3(sample) || Path.IsPathRooted(sample);

    /// <summary>A URI as shown: no user name or password, no query string (it may carry a token).</summary>
    public static string Describe(Uri uri) =>
        uri.IsAbsoluteUri ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) + (uri.Query.Length > 1 ? "?..." : "") : uri.ToString();

    /// <summary>A failure that is no ClutterException, in a line an admin can act on.</summary>
    public static string Explain(Exception e) => e switch
    {
        HttpRequestException { InnerException: SocketException s } => $"No connection: {s.SocketErrorCode} ({s.Message}).",
        HttpRequestException h => $"The request failed: {h.Message}",
        ObjectNotFoundException n => $"'{n.Location}' does not exist.",
        IOException or UnauthorizedAccessException => $"It could not be read: {e.Message}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    public void Dispose()
    {
        foreach (var repository in _open.Values) repository.Dispose();
        _http?.Dispose();
    }
}
