using System.Management.Automation;
using ClutterDR.Catalog;
using ClutterDR.Commands.Completers;
using ClutterDR.Retention;
using ClutterDR.Snapshots;

namespace ClutterDR.Commands;

/// <summary>
/// Retention: removes the backups a policy (-KeepLast/-KeepDaily/-KeepWeekly/-KeepMonthly/-KeepYearly/-KeepWithin,
/// restic forget semantics, per database) does not keep, or exactly the piped ones; never the newest of a database,
/// a pinned one, one a running drill restores, or one under Object Lock. Writes a RetentionDecision per backup
/// removed (with -PassThru or -WhatIf also per backup kept, with its reasons). -Kind StorageSnapshot (or piped
/// StorageSnapshot objects) applies the same to storage snapshots, per name (the newest of a name stays), and -Prune
/// then deletes the blobs no remaining snapshot references (a StoragePruneResult).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "ClutterBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PolicySet)]
[OutputType(typeof(RetentionDecision), typeof(StoragePruneResult))]
public sealed class RemoveClutterBackupCommand : ClutterS3Cmdlet
{
    private const string PolicySet = "Policy";
    private const string BackupSet = "Backup";
    private const string SnapshotSet = "Snapshot";
    private RetentionService? _service;
    private SnapshotRetentionService? _snapshots;

    /// <summary>A folder or s3://bucket/prefix that backups are written to: the policy applies to each database under it.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PolicySet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(S3LocationCompleter))]
    public string Location { get; set; } = "";

    /// <summary>Only these databases; default: every database under the location.</summary>
    [Parameter(ParameterSetName = PolicySet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string[]? Database { get; set; }

    /// <summary>One backup to remove (BackupInfo.ManifestLocation from Get-ClutterBackup, or its data object).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = BackupSet)]
    [Alias("Backup")]
    [ValidateNotNullOrEmpty]
    public string ManifestLocation { get; set; } = "";

    [Parameter(ParameterSetName = PolicySet)] [ValidateRange(0, int.MaxValue)] public int KeepLast { get; set; }
    [Parameter(ParameterSetName = PolicySet)] [ValidateRange(0, int.MaxValue)] public int KeepDaily { get; set; }
    [Parameter(ParameterSetName = PolicySet)] [ValidateRange(0, int.MaxValue)] public int KeepWeekly { get; set; }
    [Parameter(ParameterSetName = PolicySet)] [ValidateRange(0, int.MaxValue)] public int KeepMonthly { get; set; }
    [Parameter(ParameterSetName = PolicySet)] [ValidateRange(0, int.MaxValue)] public int KeepYearly { get; set; }

    /// <summary>Keep every backup younger than this ('90d', '2160h', 90.00:00:00).</summary>
    [Parameter(ParameterSetName = PolicySet)]
    [TimeSpanTransformation(ParameterName = "KeepWithin", Meaning = "-KeepWithin is how young a backup must be to be kept")]
    public TimeSpan KeepWithin { get; set; }

    /// <summary>Also remove data objects without a manifest older than 24 hours (CLUTTERDR_DEBRIS_MIN_AGE).</summary>
    [Parameter(ParameterSetName = PolicySet)]
    public SwitchParameter IncludeOrphans { get; set; }

    /// <summary>What the location holds: Database backups (the default) or StorageSnapshot (Backup-ClutterStorage -Destination).</summary>
    [Parameter(ParameterSetName = PolicySet)]
    [ValidateSet("Database", "StorageSnapshot")]
    public string Kind { get; set; } = "Database";

    /// <summary>One storage snapshot to remove (StorageSnapshot.SnapshotLocation from Get-ClutterStorageSnapshot, its index object): the index is deleted.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SnapshotSet)]
    [ValidateNotNullOrEmpty]
    public string SnapshotLocation { get; set; } = "";

    /// <summary>Storage snapshots: then delete the blobs no remaining snapshot references (not those younger than 24 hours).</summary>
    [Parameter(ParameterSetName = PolicySet)]
    [Parameter(ParameterSetName = SnapshotSet)]
    public SwitchParameter Prune { get; set; }

    /// <summary>Also write the kept backups, with the reasons that keep them.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Writes one row of the audit trail to this PostgreSQL database (Initialize-ClutterAuditLog), running then success or failed.</summary>
    [Parameter, Audited("retention", Location = nameof(Location))] public string? AuditConnectionString { get; set; }

    private bool ReportKept => PassThru || (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) && w is SwitchParameter { IsPresent: true });

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        _service ??= new RetentionService(Sink);
        _snapshots ??= new SnapshotRetentionService(Sink);
        if (ParameterSetName == SnapshotSet)
        {
            await PerItemAsync(async () =>
            {
                await _snapshots.RemoveAsync(ResolveLocation(SnapshotLocation), BuildS3Options(), ReportKept, cancellationToken).ConfigureAwait(false);
                return this;
            }, SnapshotLocation).ConfigureAwait(false);
            return;
        }
        var snapshots = Kind == "StorageSnapshot";
        if (Prune && !snapshots || snapshots && (Database is not null || IncludeOrphans))
            throw new ClutterException(Errors.RetentionParameterConflict,
                snapshots ? "-Database and -IncludeOrphans apply to database backups, not to -Kind StorageSnapshot. Leave them out. Nothing was removed."
                    : "-Prune frees the blobs of storage snapshots: add -Kind StorageSnapshot (the location Backup-ClutterStorage -Destination wrote to), or pipe snapshots from Get-ClutterStorageSnapshot. Nothing was removed.",
                Location);
        if (snapshots)
        {
            await PerItemAsync(async () =>
            {
                await _snapshots.ApplyPolicyAsync(new SnapshotRetentionRequest
                {
                    Location = ResolveLocation(Location), S3 = BuildS3Options(), Policy = Policy(), Prune = Prune, ReportKept = ReportKept,
                }, cancellationToken).ConfigureAwait(false);
                return this;
            }, Location).ConfigureAwait(false);
            return;
        }
        if (ParameterSetName == BackupSet)
        {
            await PerItemAsync(async () =>
            {
                await _service.RemoveAsync(ResolveLocation(ManifestLocation), BuildS3Options(), ReportKept, cancellationToken).ConfigureAwait(false);
                return this;
            }, ManifestLocation).ConfigureAwait(false);
            return;
        }
        await PerItemAsync(async () =>
        {
            await _service.ApplyPolicyAsync(new RetentionRequest
            {
                Location = ResolveLocation(Location),
                S3 = BuildS3Options(),
                Databases = Database,
                Policy = Policy(),
                IncludeOrphans = IncludeOrphans,
                ReportKept = ReportKept,
            }, cancellationToken).ConfigureAwait(false);
            return this;
        }, Location).ConfigureAwait(false);
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName == SnapshotSet && Prune && _snapshots is not null)
            await PerItemAsync(async () =>
            {
                await _snapshots.PruneSeenAsync(cancellationToken).ConfigureAwait(false);
                return this;
            }, null).ConfigureAwait(false);
    }

    private RetentionPolicy Policy() => new()
    {
        KeepLast = KeepLast, KeepDaily = KeepDaily, KeepWeekly = KeepWeekly, KeepMonthly = KeepMonthly, KeepYearly = KeepYearly,
        KeepWithin = KeepWithin > TimeSpan.Zero ? KeepWithin : null,
    };
}
