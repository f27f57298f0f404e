using System.Management.Automation;
using ClutterDR.Sync;

namespace ClutterDR.Commands;

/// <summary>
/// Sync-ClutterStorage: makes a destination (S3 prefix or folder) hold what a source holds, copying
/// only what changed, several transfers at once; the source is only read.
/// </summary>
[Cmdlet(VerbsData.Sync, "ClutterStorage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SyncSummary), typeof(SyncItem))]
public sealed class SyncClutterStorageCommand : AsyncCmdlet
{
    /// <summary>s3://bucket/prefix or a folder path.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Source { get; set; } = "";

    /// <summary>s3://bucket/prefix or a folder path (created when missing).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    [Parameter, AllowNull, AllowEmptyString] public string? SourceEndpointUrl { get; set; }
    [Parameter, Credential] public PSCredential? SourceCredential { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? SourceRegion { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? SourceProfileName { get; set; }

    [Parameter, AllowNull, AllowEmptyString] public string? DestinationEndpointUrl { get; set; }
    [Parameter, Credential] public PSCredential? DestinationCredential { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? DestinationRegion { get; set; }
    [Parameter, AllowNull, AllowEmptyString] public string? DestinationProfileName { get; set; }

    /// <summary>Compare content (MD5) instead of modification times.</summary>
    [Parameter] public SwitchParameter Checksum { get; set; }

    /// <summary>Compare sizes only.</summary>
    [Parameter] public SwitchParameter SizeOnly { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 8;

    /// <summary>S3 storage class of objects written to an S3 destination, e.g. STANDARD_IA.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorageClass { get; set; }

    /// <summary>Wildcards over the relative key: only matching keys take part.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Include { get; set; } = Array.Empty<string>();

    /// <summary>Wildcards over the relative key: matching keys are neither copied nor deleted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Exclude { get; set; } = Array.Empty<string>();

    /// <summary>Delete destination keys that the source does not have.</summary>
    [Parameter] public SwitchParameter Delete { get; set; }

    /// <summary>Also write one SyncItem per action.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    /// <summary>How often each S3 request (and a transfer that broke off mid-stream) is tried again after a transient failure; 0: never.</summary>
    [Parameter]
    [ValidateRange(0, 50)]
    public int MaxRetries { get; set; } = RetryPolicy.DefaultMaxRetries;

    /// <summary>Writes one row of the audit trail to this PostgreSQL database (Initialize-ClutterAuditLog), running then success or failed.</summary>
    [Parameter, Audited("sync", Location = nameof(Destination))] public string? AuditConnectionString { get; set; }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (Checksum && SizeOnly)
            throw new ClutterException(Errors.ConflictingCompareModes,
                "-Checksum and -SizeOnly exclude each other. Give one of them, or neither for size plus modification time.", "SizeOnly");
        var request = new SyncRequest
        {
            Source = LocationResolver.Resolve(this, Source),
            Destination = LocationResolver.Resolve(this, Destination),
            // From the Source* and Destination* parameters as bound (MaxRetries too, when given).
            SourceS3 = S3OptionsBuilder.From(MyInvocation.BoundParameters, nameof(Source)),
            DestinationS3 = S3OptionsBuilder.From(MyInvocation.BoundParameters, nameof(Destination)),
            Plan = new SyncPlanOptions
            {
                Mode = Checksum ? SyncCompareMode.Checksum : SizeOnly ? SyncCompareMode.SizeOnly : SyncCompareMode.Default,
                Include = Include,
                Exclude = Exclude,
                Delete = Delete,
            },
            ThrottleLimit = ThrottleLimit,
            StorageClass = StorageClass,
            MaxRetries = MaxRetries,
        };
        var summary = await new SyncService(Sink).RunAsync(request, cancellationToken).ConfigureAwait(false);
        await EmitObjectAsync(summary).ConfigureAwait(false);
    }

    /// <summary>The host writes each item only with -PassThru; the summary always.</summary>
    protected override bool WritesItem(object item) => item is not SyncItem || PassThru;
}
