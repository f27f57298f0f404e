using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.S3;

namespace ClutterDR.Storage;

/// <summary>
/// Builds S3 clients that work against AWS and third-party endpoints alike: path-style addressing
/// whenever an endpoint is given, checksums only when required (no aws-chunked trailers; our own
/// SHA-256 in the manifest is the integrity check), the AWS default credential chain when no
/// credential is given. The SDK retries nothing: every request goes through <see cref="RetryPolicy"/>,
/// the one layer that decides what is retried.
/// </summary>
public static class S3ClientFactory
{
    /// <param name="requestTimeout">For interactive lookups (tab completion): that timeout instead of 5 minutes.</param>
    /// <param name="maxConnections">Connections per server the client may open (parallel transfers need as many as they run).</param>
    public static IAmazonS3 Create(S3Options options, TimeSpan? requestTimeout = null, int? maxConnections = null)
    {
        var endpoint = options.EndpointUrl;
        if (string.IsNullOrEmpty(endpoint))
            endpoint = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");

        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = 0, // RetryPolicy retries; a second layer here would multiply the attempts
            // The SDK's "stale pooled connection" resends, apart from MaxErrorRetry: 10 at once, no backoff, for
            // any IOException (a connection cut mid-part counted 11 attempts per policy attempt). .NET's own
            // pool still resends a request that never reached the server over a reused connection.
            MaxStaleConnectionRetries = 0,
            Timeout = requestTimeout ?? TimeSpan.FromMinutes(5),
        };
        S3Http.Configure(config); // no Expect: 100-continue, API answers read whole (see S3Http)
        if (maxConnections is int max) config.MaxConnectionsPerServer = Math.Max(2, max);
        var region = options.Region
            ?? Environment.GetEnvironmentVariable("AWS_REGION")
            ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION");
        if (!string.IsNullOrEmpty(endpoint))
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new ClutterException(Errors.InvalidEndpointUrl,
                    $"The S3 endpoint '{endpoint}' is not an http(s) URL. Give it as https://host[:port][/path].", endpoint);
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region ?? "us-east-1");
        }

        var credentials = ResolveCredentials(options);
        return credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
    }

    private static AWSCredentials? ResolveCredentials(S3Options options)
    {
        if (!string.IsNullOrEmpty(options.AccessKeyId))
            return new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey ?? "");
        if (!string.IsNullOrEmpty(options.ProfileName))
        {
            if (new CredentialProfileStoreChain().TryGetAWSCredentials(options.ProfileName, out var fromProfile))
                return fromProfile;
            throw new ClutterException(Errors.ProfileNotFound,
                $"The AWS profile '{options.ProfileName}' was not found in the shared credentials or config file. Create it (aws configure --profile {options.ProfileName}) or pass -S3Credential.",
                options.ProfileName);
        }
        return null; // the SDK's default chain: environment, shared profile, container or instance role
    }
}
