using System.Management.Automation;
using ClutterDR.Snapshots;

namespace ClutterDR.Commands;

/// <summary>
/// Restore-ClutterStorage: writes a snapshot's files (all, or those -Include/-Exclude select) to a bucket
/// prefix or folder with their content types, metadata and times, each blob's SHA-256 checked as it streams.
/// The S3 parameters of the base reach the snapshot; Destination* the destination (default: the snapshot's).
/// </summary>
[Cmdlet(VerbsData.Restore, "ClutterStorage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(StorageRestoreResult))]
public sealed class RestoreClutterStorageCommand : ClutterS3Cmdlet, IDynamicParameters
{
    private readonly DecryptionParameters _decryption = new();

    /// <summary>A snapshot's location (StorageSnapshot.Location, piped), or a snapshot location (its newest snapshot).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Location")]
    [ValidateNotNullOrEmpty]
    public string Snapshot { get; set; } = "";

    /// <summary>s3://bucket/prefix or a folder path (created when missing).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    [Parameter, AllowNull, AllowEmptyString] public string? DestinationEndpointUrl { get; set; }
    [Parameter, Credential] public PSCredential? DestinationCredential { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? DestinationRegion { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? DestinationProfileName { get; set; }

    /// <summary>Wildcards over the key (* crosses '/'): only matching files are restored.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Include { get; set; } = Array.Empty<string>();

    /// <summary>Wildcards over the key: matching files are not restored.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Exclude { get; set; } = Array.Empty<string>();

    /// <summary>Write every file, even one already identical at the destination.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 8;

    /// <summary>Writes one row of the audit trail to this PostgreSQL database (Initialize-ClutterAuditLog), running then success or failed.</summary>
    [Parameter, Audited("storage_restore", Location = nameof(Destination))] public string? AuditConnectionString { get; set; }

    public object GetDynamicParameters() => _decryption;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var bound = MyInvocation.BoundParameters;
        var ownDestination = new[] { nameof(DestinationEndpointUrl), nameof(DestinationCredential), nameof(DestinationRegion), nameof(DestinationProfileName) }.Any(bound.ContainsKey);
        var result = await PerItemAsync(async () => await new SnapshotRestoreService(Sink).RunAsync(new SnapshotRestoreRequest
        {
            Snapshot = ResolveLocation(Snapshot),
            SnapshotS3 = BuildS3Options(),
            Destination = LocationResolver.ResolveDestination(this, Destination),
            DestinationS3 = ownDestination ? S3OptionsBuilder.From(bound, nameof(Destination)) : BuildS3Options(),
            Include = Include,
            Exclude = Exclude,
            Force = Force,
            ThrottleLimit = ThrottleLimit,
            Decryption = KeyArguments.Decryption(this, _decryption),
            MaxRetries = MaxRetries,
        }, cancellationToken).ConfigureAwait(false), Snapshot).ConfigureAwait(false);
        if (result is not null) await EmitObjectAsync(result).ConfigureAwait(false);
    }
}
