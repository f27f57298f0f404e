using System.Collections;
using System.Management.Automation;
using ClutterDR.Commands.Completers;
using ClutterDR.Database;
using ClutterDR.Drill;

namespace ClutterDR.Commands;

/// <summary>
/// Test-ClutterRestore, the restore drill: the newest backup of each database under -Location (or the piped
/// backups) restored into a scratch database on the -ConnectionString server, checked, timed and dropped.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "ClutterRestore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(DrillResult))]
public sealed class TestClutterRestoreCommand : ClutterS3Cmdlet, IDynamicParameters
{
    /// <summary>A location (folder or s3://bucket/prefix: the newest backup of each database) or one backup (BackupInfo.Location).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Uri", "Path")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(S3LocationCompleter))]
    public string Location { get; set; } = "";

    /// <summary>The scratch server to restore onto (the database part is only where to connect first).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string ConnectionString { get; set; } = "";

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>With a location: only the newest backups of these databases.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string[]? Database { get; set; }

    /// <summary>The recovery time objective: the restore and its checks must take at most this long.</summary>
    [Parameter]
    [TimeSpanTransformation(ParameterName = "RtoObjective", Meaning = "-RtoObjective is how long a restore may take")]
    public TimeSpan? RtoObjective { get; set; }

    /// <summary>The recovery point objective: the backup must be at most this old.</summary>
    [Parameter]
    [TimeSpanTransformation(ParameterName = "RpoObjective", Meaning = "-RpoObjective is how old the restored backup may be")]
    public TimeSpan? RpoObjective { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] RequiredExtension { get; set; } = Array.Empty<string>();

    /// <summary>Name = SQL: each must hold (one boolean column, all true; or at least one row).</summary>
    [Parameter]
    public IDictionary? Query { get; set; }

    [Parameter]
    public SwitchParameter KeepDatabase { get; set; }

    [Parameter]
    public SwitchParameter NoIntegrityCheck { get; set; }

    [Parameter]
    public SwitchParameter AllowSourceServer { get; set; }

    [Parameter]
    public SwitchParameter NoOwner { get; set; }

    /// <summary>A Supabase backup on a plain scratch server: create the roles it names, NOLOGIN, in that cluster.</summary>
    [Parameter]
    public SwitchParameter CreateMissingRoles { get; set; }

    /// <summary>Restore without grants, default privileges and owners (a Supabase backup on a scratch server without its roles).</summary>
    [Parameter]
    public SwitchParameter NoPrivileges { get; set; }

    /// <summary>Writes one row of the audit trail to this PostgreSQL database (Initialize-ClutterAuditLog), running then success or failed.</summary>
    [Parameter, Audited("drill", Location = nameof(Location))] public string? AuditConnectionString { get; set; }

    private readonly DecryptionParameters _decryption = new();

    /// <summary>-PrivateKey, -PrivateKeyPassphrase and -Passphrase (DecryptionParameters).</summary>
    public object GetDynamicParameters() => _decryption;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, sql) in Queries())
            if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(sql))
                throw new ClutterException(Errors.InvalidDrillQuery,
                    $"The -Query entry '{name}' has {(string.IsNullOrWhiteSpace(name) ? "no name" : "no SQL")}. Give @{{ 'users exist' = 'select count(*) > 0 from users' }}.", name);
        return Task.CompletedTask;
    }

    private List<KeyValuePair<string, string>> Queries()
    {
        var list = new List<KeyValuePair<string, string>>();
        if (Query is null) return list;
        foreach (DictionaryEntry e in Query)
            list.Add(new(LanguagePrimitives.ConvertTo<string>(e.Key) ?? "", LanguagePrimitives.ConvertTo<string>(e.Value) ?? ""));
        // A hashtable has no order: by name, so runs compare; an [ordered] dictionary keeps its own.
        return Query is System.Collections.Specialized.IOrderedDictionary ? list : list.OrderBy(q => q.Key, StringComparer.Ordinal).ToList();
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var s3 = BuildS3Options();
        var backups = await PerItemAsync(async () => await DrillTargets.ResolveAsync(ResolveLocation(Location), s3, Database, Sink, cancellationToken).ConfigureAwait(false), Location).ConfigureAwait(false);
        foreach (var backup in backups ?? new List<Catalog.BackupLocation>())
        {
            var result = await PerItemAsync(async () => await new DrillService(Sink).RunAsync(new DrillRequest
            {
                Backup = backup,
                S3 = s3,
                Server = PgConnectionSettings.Parse(ConnectionString, DatabaseCredential.From(Credential)),
                RtoObjective = RtoObjective,
                RpoObjective = RpoObjective,
                RequiredExtensions = RequiredExtension,
                Queries = Queries(),
                KeepDatabase = KeepDatabase,
                NoIntegrityCheck = NoIntegrityCheck,
                AllowSourceServer = AllowSourceServer,
                NoOwner = NoOwner,
                CreateMissingRoles = CreateMissingRoles,
                NoPrivileges = NoPrivileges,
                Decryption = KeyArguments.Decryption(this, _decryption),
            }, cancellationToken).ConfigureAwait(false), backup.ToString()).ConfigureAwait(false);
            if (result is null) continue;
            await EmitObjectAsync(result).ConfigureAwait(false);
            foreach (var problem in result.Problems) await EmitErrorAsync(problem).ConfigureAwait(false);
        }
    }
}
