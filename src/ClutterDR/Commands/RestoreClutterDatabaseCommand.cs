using System.Management.Automation;
using ClutterDR.Catalog;
using ClutterDR.Commands.Completers;
using ClutterDR.Database;
using ClutterDR.Restore;
using ClutterDR.Storage;

namespace ClutterDR.Commands;

[Cmdlet(VerbsData.Restore, "ClutterDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = RestoreSet)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreClutterDatabaseCommand : ClutterS3Cmdlet, IDynamicParameters
{
    private const string RestoreSet = "Restore";
    private const string DataOnlySet = "DataOnly";
    private readonly List<Pending> _pending = new();

    /// <summary>Location of one backup (BackupInfo.Location from Get-ClutterBackup), or its manifest.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Uri", "Path")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(S3BackupCompleter))]
    public string Location { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string TargetConnectionString { get; set; } = "";

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Drop the objects the backup contains before recreating them (pg_restore --clean --if-exists).</summary>
    [Parameter(ParameterSetName = RestoreSet)]
    public SwitchParameter Clean { get; set; }

    /// <summary>Create the target database when it does not exist.</summary>
    [Parameter(ParameterSetName = RestoreSet)]
    public SwitchParameter CreateDatabase { get; set; }

    /// <summary>Do not restore ownership (pg_restore --no-owner): for a target without the original roles.</summary>
    [Parameter]
    public SwitchParameter NoOwner { get; set; }

    /// <summary>
    /// What the target is: Auto (a Supabase project is known by its roles and managed schemas), Supabase (only the
    /// project's own objects and rows go in, nothing the platform owns), or PostgreSQL (plain; a Supabase backup's
    /// managed schemas become plain schemas).
    /// </summary>
    [Parameter(ParameterSetName = RestoreSet)]
    [ValidateSet("Auto", "Supabase", "PostgreSQL")]
    public string TargetKind { get; set; } = "Auto";

    /// <summary>Create the roles the backup grants to or is owned by that the target server lacks, NOLOGIN, in the restore's transaction.</summary>
    [Parameter(ParameterSetName = RestoreSet)]
    public SwitchParameter CreateMissingRoles { get; set; }

    /// <summary>Restore without grants, default privileges and owners (pg_restore --no-privileges --no-owner).</summary>
    [Parameter(ParameterSetName = RestoreSet)]
    public SwitchParameter NoPrivileges { get; set; }

    /// <summary>
    /// Restore only these tables (custom format only): name or schema.name. Whole tables (definition, indexes,
    /// constraints, triggers, policies, grants and rows); with -DataOnly only their rows.
    /// </summary>
    [Parameter(ParameterSetName = RestoreSet)]
    [Parameter(Mandatory = true, ParameterSetName = DataOnlySet)]
    [ValidateNotNullOrEmpty]
    public string[] Table { get; set; } = Array.Empty<string>();

    /// <summary>Reload only the rows of the -Table tables into the target's existing tables: TRUNCATE them, then load, in one transaction.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DataOnlySet)]
    public SwitchParameter DataOnly { get; set; }

    /// <summary>With -DataOnly: also empty tables outside -Table whose rows reference the selected tables (TRUNCATE ... CASCADE).</summary>
    [Parameter(ParameterSetName = DataOnlySet)]
    public SwitchParameter Cascade { get; set; }

    /// <summary>Writes one row of the audit trail to this PostgreSQL database (Initialize-ClutterAuditLog), running then success or failed.</summary>
    [Parameter, Audited("restore", Location = nameof(Location), Database = nameof(TargetConnectionString))] public string? AuditConnectionString { get; set; }

    private readonly DecryptionParameters _decryption = new();

    /// <summary>-PrivateKey, -PrivateKeyPassphrase and -Passphrase (DecryptionParameters).</summary>
    public object GetDynamicParameters() => _decryption;

    private sealed record Pending(string Text, Catalog.BackupLocation Backup, Storage.S3Options S3);

    /// <summary>
    /// Collects the backup(s) given; the restore runs at the end, once it is known that exactly one was: the
    /// backups of two databases piped into one target would otherwise overwrite each other in turn.
    /// </summary>
    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var backup = await PerItemAsync(() => Task.FromResult<Catalog.BackupLocation?>(ResolveLocation(Location)), Location).ConfigureAwait(false);
        if (backup is not null) _pending.Add(new Pending(Location, backup, BuildS3Options()));
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0) return;
        if (_pending.Count > 1)
            throw RestoreService.MultipleBackups(_pending.Select(p => p.Text).ToList(), TargetConnectionString, DatabaseCredential.From(Credential));
        var pending = _pending[0];
        var result = await PerItemAsync(async () =>
        {
            var request = new RestoreRequest
            {
                Target = PgConnectionSettings.Parse(TargetConnectionString, DatabaseCredential.From(Credential)),
                Backup = pending.Backup,
                S3 = pending.S3,
                Clean = Clean,
                CreateDatabase = CreateDatabase,
                NoOwner = NoOwner,
                Tables = Table,
                DataOnly = DataOnly,
                Cascade = Cascade,
                TargetKind = Enum.Parse<TargetKind>(TargetKind),
                CreateMissingRoles = CreateMissingRoles,
                NoPrivileges = NoPrivileges,
                Decryption = KeyArguments.Decryption(this, _decryption),
            };
            return await new RestoreService(Sink).RunAsync(request, cancellationToken).ConfigureAwait(false);
        }, pending.Text).ConfigureAwait(false);
        if (result is null) return;
        await EmitObjectAsync(result).ConfigureAwait(false);
        foreach (var problem in result.Problems) await EmitErrorAsync(problem).ConfigureAwait(false);
    }
}
