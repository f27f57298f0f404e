using System.Management.Automation;
using ClutterDR.Snapshots;

namespace ClutterDR.Commands;

/// <summary>
/// Backup-ClutterStorage: a dated snapshot of a bucket prefix or folder under a snapshot location, each
/// content stored once (blobs/), unchanged files not read again; writes the StorageSnapshot.
/// </summary>
[Cmdlet(VerbsData.Backup, "ClutterStorage")]
[OutputType(typeof(StorageSnapshot))]
public sealed class BackupClutterStorageCommand : AsyncCmdlet, IDynamicParameters
{
    private readonly EncryptionParameters _encryption = new();

    /// <summary>s3://bucket/prefix or a folder path to take the snapshot of.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Source { get; set; } = "";

    /// <summary>s3://bucket/prefix or a folder path that holds the snapshots and their blobs.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>The snapshot's name; default: the source's bucket and prefix, or its folder's name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter, AllowNull, AllowEmptyString] public string? SourceEndpointUrl { get; set; }
    [Parameter, Credential] public PSCredential? SourceCredential { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? SourceRegion { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? SourceProfileName { get; set; }

    [Parameter, AllowNull, AllowEmptyString] public string? DestinationEndpointUrl { get; set; }
    [Parameter, Credential] public PSCredential? DestinationCredential { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? DestinationRegion { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? DestinationProfileName { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 8;

    /// <summary>How often each S3 request (and a file that broke off mid-stream) is tried again after a transient failure; 0: never.</summary>
    [Parameter]
    [ValidateRange(0, 50)]
    public int MaxRetries { get; set; } = RetryPolicy.DefaultMaxRetries;

    /// <summary>Writes one row of the audit trail to this PostgreSQL database (Initialize-ClutterAuditLog), running then success or failed.</summary>
    [Parameter, Audited("storage", Location = nameof(Destination))] public string? AuditConnectionString { get; set; }

    public object GetDynamicParameters() => _encryption;

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        var request = new SnapshotBackupRequest
        {
            Source = LocationResolver.Resolve(this, Source),
            Destination = LocationResolver.ResolveDestination(this, Destination),
            SourceS3 = S3OptionsBuilder.From(MyInvocation.BoundParameters, nameof(Source)),
            DestinationS3 = S3OptionsBuilder.From(MyInvocation.BoundParameters, nameof(Destination)),
            Name = Name,
            ThrottleLimit = ThrottleLimit,
            Encryption = KeyArguments.Encryption(this, _encryption),
            MaxRetries = MaxRetries,
        };
        var snapshot = await new SnapshotBackupService(Sink).RunAsync(request, cancellationToken).ConfigureAwait(false);
        await EmitObjectAsync(snapshot).ConfigureAwait(false);
    }
}
