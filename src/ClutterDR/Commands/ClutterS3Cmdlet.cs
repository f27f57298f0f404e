using System.Management.Automation;
using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Commands;

/// <summary>
/// Base of cmdlets that read or write a backup location: the S3 options every such cmdlet shares,
/// and the one way a location text becomes a BackupLocation (folders resolved against the PowerShell
/// location). EndpointUrl, Region and ProfileName bind from a piped BackupInfo; explicit values win.
/// </summary>
public abstract class ClutterS3Cmdlet : AsyncCmdlet
{
    /// <summary>S3-compatible endpoint (MinIO, Supabase Storage, R2...). Path-style addressing is used.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull, AllowEmptyString]
    public string? EndpointUrl { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull, AllowEmptyString]
    public string? Region { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull, AllowEmptyString]
    public string? ProfileName { get; set; }

    /// <summary>S3 access key id (user name) and secret access key (password).</summary>
    [Parameter]
    [Credential]
    public PSCredential? S3Credential { get; set; }

    /// <summary>How often each S3 request is tried again after a transient failure (5xx, SlowDown, a dropped connection, a timeout); 0: never.</summary>
    [Parameter]
    [ValidateRange(0, 50)]
    public int MaxRetries { get; set; } = RetryPolicy.DefaultMaxRetries;

    protected S3Options BuildS3Options() => S3OptionsBuilder.From(EndpointUrl, Region, ProfileName, S3Credential, MaxRetries);

    protected BackupLocation ResolveLocation(string text) => LocationResolver.Resolve(this, text);
}
