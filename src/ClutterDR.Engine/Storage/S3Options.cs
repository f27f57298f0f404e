namespace ClutterDR.Storage;

/// <summary>
/// How to reach an S3-compatible endpoint. Any field may be null: the AWS SDK defaults (environment,
/// profile, instance role) fill in. The secret is held only as long as the client is built.
/// MaxRetries: how often each S3 request is tried again after a transient failure (see <see cref="RetryPolicy"/>).
/// </summary>
public sealed record S3Options(
    string? EndpointUrl = null,
    string? Region = null,
    string? ProfileName = null,
    string? AccessKeyId = null,
    string? SecretAccessKey = null,
    int MaxRetries = RetryPolicy.DefaultMaxRetries)
{
    public override string ToString() => $"S3Options {{ EndpointUrl = {EndpointUrl}, Region = {Region}, ProfileName = {ProfileName}, MaxRetries = {MaxRetries} }}";
}
