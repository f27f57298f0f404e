using System.Management.Automation;
using ClutterDR.Commands.Completers;
using ClutterDR.Database;
using ClutterDR.Recovery;

namespace ClutterDR.Commands;

/// <summary>
/// The checklist after a real recovery (backup-guide.md's 14 points): the database reachable, its tables and rows
/// against the restored backup, extensions, the media bucket and sample objects, health endpoints; the items no
/// machine can check come out as Manual. One RecoveryCheck per item and target, written as made; failures are also
/// RecoveryCheckFailed errors.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "ClutterRecovery")]
[OutputType(typeof(RecoveryCheck))]
public sealed class TestClutterRecoveryCommand : ClutterS3Cmdlet
{
    /// <summary>The recovered database: postgresql://user@host:port/db or an Npgsql keyword string.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string ConnectionString { get; set; } = "";

    /// <summary>Database user and password; overrides those in the connection string.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>The backup that was restored (from Get-ClutterBackup): every table of its manifest must be there with at least its rows.</summary>
    [Parameter(ValueFromPipeline = true)]
    public BackupInfo? Backup { get; set; }

    /// <summary>Tables that must exist: name, schema.name or a pattern (users, public.dump*).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] ExpectedTable { get; set; } = Array.Empty<string>();

    /// <summary>Extensions that must be installed (vector for vector search).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] RequiredExtension { get; set; } = Array.Empty<string>();

    /// <summary>The media bucket or folder (s3://bucket/prefix or a path): listed, and one object read end to end.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(S3LocationCompleter))]
    public string? StorageLocation { get; set; }

    /// <summary>Media objects that must be readable: keys under -StorageLocation, or full locations (s3://bucket/key, a path).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] SampleObject { get; set; } = Array.Empty<string>();

    /// <summary>Health endpoints (the guide's /health and /health/db): each must answer 2xx within -TimeoutSec.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public Uri[] HealthUri { get; set; } = Array.Empty<Uri>();

    /// <summary>Seconds each health endpoint may take to answer (default 10).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 10;

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        foreach (var uri in HealthUri.Where(u => !u.IsAbsoluteUri || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps)))
            throw new ClutterException(Errors.InvalidHealthUri, $"-HealthUri '{uri}' is not an http:// or https:// address. Give the full address, such as https://app.example.com/health.", uri.ToString());
        var request = new RecoveryRequest
        {
            Database = PgConnectionSettings.Parse(ConnectionString, DatabaseCredential.From(Credential)),
            Backup = Backup,
            ExpectedTables = ExpectedTable,
            RequiredExtensions = RequiredExtension,
            StorageLocation = StorageLocation is null ? null : ResolveLocation(StorageLocation),
            S3 = BuildS3Options(),
            SampleObjects = SampleObject,
            HealthUris = HealthUri,
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
        };
        await new RecoveryService(Sink).RunAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
