using System.Management.Automation;
using ClutterDR.Database;
using ClutterDR.Snapshots;

namespace ClutterDR.Commands;

/// <summary>
/// Test-ClutterStorageSnapshot: every blob a snapshot references is there (-Deep: and hashes to its name);
/// with -ConnectionString, every file the database's object table names is in the snapshot. Each broken
/// file is an error of its own; the StorageSnapshotCheck says Passed.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "ClutterStorageSnapshot")]
[OutputType(typeof(StorageSnapshotCheck))]
public sealed class TestClutterStorageSnapshotCommand : ClutterS3Cmdlet, IDynamicParameters
{
    private readonly DecryptionParameters _decryption = new();

    /// <summary>A snapshot's location (StorageSnapshot.Location, piped), or a snapshot location (its newest snapshot).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Location")]
    [ValidateNotNullOrEmpty]
    public string Snapshot { get; set; } = "";

    /// <summary>Read every blob and check its SHA-256 (and that it decrypts).</summary>
    [Parameter] public SwitchParameter Deep { get; set; }

    /// <summary>A database whose object table lists the files that must be in the snapshot.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConnectionString { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>The table (schema.table) with bucket_id and name columns; default: Supabase's storage.objects.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ObjectTable { get; set; } = "storage.objects";

    /// <summary>The bucket_id of the snapshot's files in the object table; default: the snapshot source's bucket.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Bucket { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 8;

    public object GetDynamicParameters() => _decryption;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var result = await PerItemAsync(async () => await new SnapshotCheckService(Sink).RunAsync(new SnapshotCheckRequest
        {
            Snapshot = ResolveLocation(Snapshot),
            S3 = BuildS3Options(),
            Deep = Deep,
            Decryption = KeyArguments.Decryption(this, _decryption),
            Database = ConnectionString is null ? null : PgConnectionSettings.Parse(ConnectionString, DatabaseCredential.From(Credential)),
            ObjectTable = ObjectTable,
            Bucket = Bucket,
            ThrottleLimit = ThrottleLimit,
        }, cancellationToken).ConfigureAwait(false), Snapshot).ConfigureAwait(false);
        if (result is not null) await EmitObjectAsync(result).ConfigureAwait(false);
    }
}
