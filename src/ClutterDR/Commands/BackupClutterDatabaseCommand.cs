using System.Management.Automation;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Commands.Completers;
using ClutterDR.Database;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Commands;

[Cmdlet(VerbsData.Backup, "ClutterDatabase")]
[OutputType(typeof(BackupInfo))]
public sealed class BackupClutterDatabaseCommand : ClutterS3Cmdlet, IDynamicParameters
{
    /// <summary>postgresql://user:pass@host:port/db?sslmode=... (as DATABASE_URL holds) or an Npgsql keyword string.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string ConnectionString { get; set; } = "";

    /// <summary>A folder path or s3://bucket/prefix; several (s3://offsite/db, /var/backups/db) get the same stored bytes from one dump.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(S3LocationCompleter))]
    public string[] Destination { get; set; } = Array.Empty<string>();

    /// <summary>With several -Destination: how many copies must commit for the backup to succeed (default: all).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? MinimumCopies { get; set; }

    /// <summary>Database user and password; overrides those in the connection string.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    // Format and Compression are strings, not the engine's enums: a value-type property of a public cmdlet
    // would make PowerShell's scan at import load the engine (see AsyncCmdlet.Sink).
    /// <summary>Custom (pg_dump -Fc, the default) or Plain (SQL).</summary>
    [Parameter]
    [ValidateSet(nameof(DumpFormat.Custom), nameof(DumpFormat.Plain))]
    public string Format { get; set; } = nameof(DumpFormat.Custom);

    /// <summary>Tables to dump (pg_dump -t patterns: name, schema.name, wildcards, "Quoted Name").</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Table { get; set; } = Array.Empty<string>();

    /// <summary>Tables to leave out (pg_dump -T patterns).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] ExcludeTable { get; set; } = Array.Empty<string>();

    /// <summary>Zstd (the default), Gzip or None.</summary>
    [Parameter]
    [ValidateSet(nameof(CompressionKind.Zstd), nameof(CompressionKind.Gzip), nameof(CompressionKind.None))]
    public string Compression { get; set; } = nameof(CompressionKind.Zstd);

    [Parameter]
    [ValidateRange(1, 19)]
    public int? CompressionLevel { get; set; }

    /// <summary>S3 storage class of the backup objects, e.g. STANDARD_IA.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorageClass { get; set; }

    /// <summary>Expected size of the backup in bytes, so that S3 parts start large enough for very large databases.</summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long? ExpectedSize { get; set; }

    /// <summary>
    /// Also store the roles the project created (pg_dumpall --roles-only --no-role-passwords, without the platform's
    /// and PostgreSQL's own roles), as a second object of the backup; a restore creates the missing ones. Never passwords.
    /// </summary>
    [Parameter]
    public SwitchParameter IncludeRoles { get; set; }

    /// <summary>Writes one row of the audit trail to this PostgreSQL database (Initialize-ClutterAuditLog), running then success or failed.</summary>
    [Parameter, Audited("database", Location = nameof(Destination), Database = nameof(ConnectionString))] public string? AuditConnectionString { get; set; }

    private readonly EncryptionParameters _encryption = new();

    /// <summary>-Recipient and -Passphrase (EncryptionParameters).</summary>
    public object GetDynamicParameters() => _encryption;

    /// <summary>Write the data object and the manifest with S3 Object Lock retention until this date (the bucket must have Object Lock).</summary>
    [Parameter]
    public DateTime? RetainUntil { get; set; }

    /// <summary>Object Lock mode with -RetainUntil: Governance (the default; lifted only with s3:BypassGovernanceRetention) or Compliance (no one can lift it).</summary>
    [Parameter]
    [ValidateSet("Governance", "Compliance")]
    public string RetentionMode { get; set; } = "Governance";

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var outcome = await PerItemAsync(async () =>
        {
            if (RetainUntil is null && MyInvocation.BoundParameters.ContainsKey(nameof(RetentionMode)))
                throw new ClutterException(Errors.RetainUntilMissing,
                    $"-RetentionMode {RetentionMode} needs -RetainUntil: the date until which the backup must not be deleted, e.g. -RetainUntil (Get-Date).AddDays(30).", RetentionMode);
            // Wildcards ask the provider: on its thread.
            var destinations = await OnPipelineThreadAsync(() => Destination.Select(d => LocationResolver.ResolveDestination(this, d)).ToList()).ConfigureAwait(false);
            var request = new BackupRequest
            {
                Connection = PgConnectionSettings.Parse(ConnectionString, DatabaseCredential.From(Credential)),
                Destination = destinations[0],
                Copies = destinations.Skip(1).ToList(),
                MinimumCopies = MinimumCopies,
                S3 = BuildS3Options(),
                Format = Enum.Parse<DumpFormat>(Format, ignoreCase: true),
                Compression = Enum.Parse<CompressionKind>(Compression, ignoreCase: true),
                CompressionLevel = CompressionLevel,
                Tables = Table,
                ExcludeTables = ExcludeTable,
                StorageClass = StorageClass,
                ExpectedSize = ExpectedSize,
                IncludeRoles = IncludeRoles,
                Encryption = KeyArguments.Encryption(this, _encryption),
                ObjectLock = RetainUntil is DateTime until
                    ? Storage.ObjectLock.Create(Enum.Parse<Storage.RetentionMode>(RetentionMode, ignoreCase: true), until, DateTime.UtcNow)
                    : null,
            };
            return await new BackupService(Sink).RunAllAsync(request, cancellationToken).ConfigureAwait(false);
        }, string.Join(", ", Destination)).ConfigureAwait(false);
        if (outcome is null) return;
        foreach (var info in outcome.Backups) await EmitObjectAsync(info).ConfigureAwait(false);
        if (outcome.Shortfall is ClutterException shortfall) await EmitErrorAsync(shortfall).ConfigureAwait(false);
    }
}
