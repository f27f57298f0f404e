using System.Collections;
using System.Management.Automation;
using ClutterDR.Storage;

namespace ClutterDR.Commands;

/// <summary>
/// The one way S3Options are made from cmdlet parameters: endpoint, region, profile, an S3 credential (access
/// key id as user name, secret key as password) and MaxRetries. Blank values mean "not given", so the AWS SDK
/// defaults apply (AWS_ENDPOINT_URL_S3, AWS_PROFILE, the default credential chain). From typed parameters (the
/// cmdlets) or from a bound-parameters dictionary (the completers' fakeBoundParameters), whose names may carry
/// a prefix: "Source" and "Destination" name SourceEndpointUrl, SourceCredential, ... of Sync-ClutterStorage.
/// </summary>
internal static class S3OptionsBuilder
{
    public static S3Options From(string? endpointUrl, string? region, string? profileName, PSCredential? credential, int maxRetries = RetryPolicy.DefaultMaxRetries)
    {
        var c = credential?.GetNetworkCredential();
        return new S3Options(OrNull(endpointUrl), OrNull(region), OrNull(profileName), OrNull(c?.UserName), c?.Password, maxRetries);
    }

    /// <summary>From {prefix}EndpointUrl, {prefix}Region, {prefix}ProfileName, the credential (S3Credential, or {prefix}Credential) and MaxRetries.</summary>
    public static S3Options From(IDictionary? bound, string prefix = "") => From(
        Value(bound, prefix + "EndpointUrl")?.ToString(),
        Value(bound, prefix + "Region")?.ToString(),
        Value(bound, prefix + "ProfileName")?.ToString(),
        Value(bound, prefix.Length == 0 ? "S3Credential" : prefix + "Credential") as PSCredential,
        Value(bound, "MaxRetries") is int retries ? retries : RetryPolicy.DefaultMaxRetries);

    /// <summary>A bound value as the cmdlet would see it: without its PSObject wrapper.</summary>
    public static object? Value(IDictionary? bound, string name)
    {
        if (bound is null || !bound.Contains(name)) return null;
        var value = bound[name];
        return value is PSObject pso ? pso.BaseObject : value;
    }

    private static string? OrNull(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
