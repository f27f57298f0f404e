using System.Collections.Concurrent;
using System.Net;

namespace ClutterDR.Storage;

/// <summary>
/// Whether an S3 endpoint honours PutObject with <c>If-None-Match: *</c> (create only if absent), which
/// makes a claim atomic. Amazon S3 and Ceph RGW do; some servers ignore the header (s3rver, older MinIO)
/// and some refuse it (501 NotImplemented, 400). The probe: create one new key conditionally twice; the
/// first must succeed and the second answer 412. Anything else: no claims, names get a random tail.
/// </summary>
public static class ConditionalWrites
{
    /// <summary>What a conditional create was answered.</summary>
    public enum Answer
    {
        /// <summary>2xx: the object was written.</summary>
        Created,
        /// <summary>412 PreconditionFailed (or 409 ConditionalRequestConflict): the key exists or is being written.</summary>
        Taken,
        /// <summary>The endpoint refused the condition itself: 501, or 400 for the header.</summary>
        Refused,
    }

    /// <summary>
    /// The answer an S3 error stands for, or null when it is a real failure (access denied, no bucket, an
    /// unreachable server) that the caller reports.
    /// </summary>
    public static Answer? Classify(HttpStatusCode status, string? errorCode) =>
        (int)status switch
        {
            412 => Answer.Taken,
            409 when errorCode is "ConditionalRequestConflict" => Answer.Taken,
            501 => Answer.Refused,
            400 when errorCode is not ("RequestTimeout" or "InvalidAccessKeyId" or "AuthorizationHeaderMalformed" or "InvalidBucketName") => Answer.Refused,
            _ => null,
        };

    /// <summary>The probe's verdict from its two conditional creates of one new key.</summary>
    public static bool Honoured(Answer first, Answer? second) => first == Answer.Created && second == Answer.Taken;

    private static readonly ConcurrentDictionary<string, Task<bool>> Verdicts = new(StringComparer.Ordinal);

    /// <summary>
    /// The verdict for one endpoint and bucket, probed at most once per process by concurrent callers alike;
    /// a probe that failed (the endpoint unreachable) is forgotten, so the next backup asks again.
    /// </summary>
    internal static async Task<bool> GetOrProbeAsync(string endpointAndBucket, Func<Task<bool>> probe)
    {
        var task = Verdicts.GetOrAdd(endpointAndBucket, _ => Task.Run(probe));
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch
        {
            Verdicts.TryRemove(new KeyValuePair<string, Task<bool>>(endpointAndBucket, task));
            throw;
        }
    }
}
