using System.Management.Automation;
using ClutterDR.Repository;

namespace ClutterDR.Commands;

[Cmdlet(VerbsCommon.Get, "ClutterBackup", DefaultParameterSetName = AllSet)]
[OutputType(typeof(BackupInfo))]
public sealed class GetClutterBackupCommand : BackupLocationCmdlet
{
    private const string AllSet = "All";
    private const string LatestSet = "Latest";
    private const string NewestSet = "Newest";

    /// <summary>Only the newest complete backup of each database.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LatestSet)]
    public SwitchParameter Latest { get; set; }

    /// <summary>The newest N complete backups of each database.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NewestSet)]
    [ValidateRange(1, int.MaxValue)]
    public int Newest { get; set; }

    /// <summary>Only backups started at or after this time.</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>Database (the default: database backups) or Config (configuration backups of Backup-ClutterConfiguration).</summary>
    [Parameter]
    [ValidateSet("Database", "Config")]
    public string Kind { get; set; } = "Database";

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var found = await PerItemAsync(async () => await BackupCatalog.FindAsync(new BackupQuery
        {
            Location = ResolveLocation(Location),
            S3 = BuildS3Options(),
            Databases = Database,
            Newest = Latest ? 1 : ParameterSetName == NewestSet ? Newest : null,
            SinceUtc = Since?.ToUniversalTime(),
            Host = Sink,
            Kind = Enum.Parse<Catalog.BackupKind>(Kind, ignoreCase: true),
        }, cancellationToken).ConfigureAwait(false), Location).ConfigureAwait(false);
        foreach (var info in found ?? new List<BackupInfo>()) await EmitObjectAsync(info).ConfigureAwait(false);
    }
}
