using Amazon.Runtime;
using RetryPolicy = ClutterDR.Common.RetryPolicy;

namespace ClutterDR.Storage;

/// <summary>
/// What of an S3 answer is transient, for <see cref="RetryPolicy"/> (which names no SDK type): 5xx,
/// 429 and the throttling and timeout codes are; every other 3xx/4xx answer is not. The policies every
/// store and every caller that retries storage work use.
/// </summary>
public static class StorageRetry
{
    private static readonly HashSet<string> TransientCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled", "RequestThrottledException",
        "TooManyRequestsException", "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestTimeout", "RequestTimeoutException",
        "InternalError", "InternalFailure", "ServiceUnavailable", "PriorRequestNotComplete", "OperationAborted",
    };

    /// <summary>True or false for an S3 service error; null for anything else (RetryPolicy judges that).</summary>
    public static bool? Classify(Exception x) => x switch
    {
        AmazonServiceException s when s.ErrorCode is { Length: > 0 } code && TransientCodes.Contains(code) => true,
        AmazonServiceException s when (int)s.StatusCode >= 500 || (int)s.StatusCode == 429 => true,
        AmazonServiceException s when (int)s.StatusCode is >= 300 and < 500 => false,
        _ => null,
    };

    /// <summary>RetryPolicy.IsTransient with S3's answers classified.</summary>
    public static bool IsTransient(Exception e, CancellationToken cancellationToken = default) => RetryPolicy.IsTransient(e, cancellationToken, Classify);

    /// <summary>A policy of MaxRetries retries that knows S3's answers.</summary>
    public static RetryPolicy Policy(int maxRetries = RetryPolicy.DefaultMaxRetries, TimeSpan? baseDelay = null, Func<double>? random = null) =>
        new(maxRetries, baseDelay, random: random, classify: Classify);

    public static RetryPolicy For(S3Options options) => Policy(options.MaxRetries);
}
