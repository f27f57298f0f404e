using System.Net.Sockets;

namespace ClutterDR.Common;

/// <summary>
/// The one retry policy of every S3 request the engine makes (the SDK's own retries are off, see
/// Storage/S3ClientFactory): what is transient (<see cref="IsTransient"/>, with the backend's own
/// classification of its service errors passed in: Storage/StorageRetry), how long to wait
/// (exponential backoff with full jitter, <see cref="DelayBefore"/>) and how often (MaxRetries, from
/// -MaxRetries). A failure is retried by one layer only: once this policy gives up on a request, the
/// failure is marked, and an outer <see cref="ExecuteAsync{T}"/> (Sync's per-item retry, which exists
/// for transfers that break off mid-stream) passes it on instead of retrying it again.
/// </summary>
/// <remarks>
/// Written by hand rather than with Polly.Core: the whole policy is a loop, a classifier and a delay
/// formula, all pure and unit-tested here; Polly would add an assembly to the module's load context
/// for no behaviour we need (its retry strategy's jitter is not full jitter without a custom generator).
/// </remarks>
public sealed class RetryPolicy
{
    /// <summary>Retries after the first attempt unless -MaxRetries says otherwise: 5 attempts in all.</summary>
    public const int DefaultMaxRetries = 4;
    /// <summary>The ceiling of the first wait; doubles per retry.</summary>
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(500);
    /// <summary>No wait is longer than this.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(20);

    internal const string GaveUpKey = "ClutterDR.RetryPolicy.GaveUp";

    private readonly Func<double> _random;
    private readonly Func<Exception, bool?>? _classify;

    /// <param name="random">A uniform draw in [0, 1): the jitter (tests pass a fixed one).</param>
    /// <param name="classify">Whether a service's own error (an S3 answer) is transient; null: not such an error.</param>
    public RetryPolicy(int maxRetries = DefaultMaxRetries, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null, Func<double>? random = null,
        Func<Exception, bool?>? classify = null)
    {
        _classify = classify;
        if (maxRetries < 0) throw new ArgumentOutOfRangeException(nameof(maxRetries), "MaxRetries is 0 or more.");
        MaxRetries = maxRetries;
        BaseDelay = baseDelay ?? DefaultBaseDelay;
        MaxDelay = maxDelay ?? DefaultMaxDelay;
        _random = random ?? Random.Shared.NextDouble;
    }

    public int MaxRetries { get; }
    public int MaxAttempts => MaxRetries + 1;
    public TimeSpan BaseDelay { get; }
    public TimeSpan MaxDelay { get; }

    /// <summary>The ceiling of the wait before retry number <paramref name="retry"/> (1-based): base x 2^(retry-1), at most MaxDelay.</summary>
    public TimeSpan CeilingBefore(int retry)
    {
        var ms = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }

    /// <summary>Full jitter: a uniform draw between zero and the ceiling, so that clients that failed together do not retry together.</summary>
    public TimeSpan DelayBefore(int retry) => TimeSpan.FromMilliseconds(CeilingBefore(retry).TotalMilliseconds * _random());

    /// <summary>
    /// Runs an S3 request (the action builds it afresh each attempt), again after a transient failure, up
    /// to MaxRetries times. A failure it gives up on is marked, so that no outer retry repeats it.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        for (var retry = 1; ; retry++)
        {
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (retry <= MaxRetries && IsTransient(e, cancellationToken, _classify) && !GaveUpOn(e))
            {
                await Task.Delay(DelayBefore(retry), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (MarkGaveUp(e, cancellationToken, _classify))
            {
                throw; // not reached: the filter marks and declines
            }
        }
    }

    public async Task ExecuteAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken) =>
        await ExecuteAsync(async ct => { await action(ct).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);

    private static bool MarkGaveUp(Exception e, CancellationToken cancellationToken, Func<Exception, bool?>? classify)
    {
        if (IsTransient(e, cancellationToken, classify))
            try { e.Data[GaveUpKey] = true; } catch (ArgumentException) { } catch (NotSupportedException) { }
        return false;
    }

    /// <summary>Whether a retry policy has already given up on this failure (or one inside it).</summary>
    public static bool GaveUpOn(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x.Data.Contains(GaveUpKey)) return true;
        return false;
    }

    /// <summary>
    /// Whether a failure is worth another attempt: 5xx answers, throttling (429, SlowDown and the other
    /// throttling codes), request timeouts, connections refused, reset or cut mid-body, and HTTP timeouts.
    /// Never a 4xx answer (AccessDenied, NoSuchBucket, InvalidArgument, ...), never a cancellation by the
    /// caller's token, never a local I/O error. A ClutterException is judged by the failure inside it.
    /// A service's answers are judged by classify (Storage/StorageRetry.Classify for S3).
    /// </summary>
    public static bool IsTransient(Exception e, CancellationToken cancellationToken = default, Func<Exception, bool?>? classify = null)
    {
        if (cancellationToken.IsCancellationRequested) return false;
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (classify?.Invoke(x) is bool answer) return answer;
            switch (x)
            {
                case HttpRequestException h:
                    // A name that does not resolve is a wrong -EndpointUrl far more often than a passing fault.
                    return h.HttpRequestError != HttpRequestError.NameResolutionError;
                case SocketException:
                case HttpIOException: // the response or request ended early: connection reset or closed
                case TimeoutException:
                    return true;
                case IOException when x.InnerException is SocketException:
                    return true;
                case OperationCanceledException:
                    // The caller's token is not cancelled (checked above): the HTTP client's timeout.
                    // An inner token of ours (a sibling part failed) is the caller of that part: see S3UploadStream.
                    return x.InnerException is TimeoutException || x is TaskCanceledException { InnerException: null or TimeoutException or IOException };
            }
        }
        return false;
    }
}
