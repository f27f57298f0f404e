using System.Management.Automation;
using ClutterDR.Commands.Completers;
using ClutterDR.Database;
using ClutterDR.Engine;

namespace ClutterDR.Commands;

[Cmdlet(VerbsData.Restore, "ClutterDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreClutterDatabaseCommand : ClutterS3Cmdlet
{
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
    [Parameter]
    public SwitchParameter Clean { get; set; }

    /// <summary>Create the target database when it does not exist.</summary>
    [Parameter]
    public SwitchParameter CreateDatabase { get; set; }

    /// <summary>Do not restore ownership (pg_restore --no-owner): for a target without the original roles.</summary>
    [Parameter]
    public SwitchParameter NoOwner { get; set; }

    /// <summary>Restore only these tables (custom format only): name or schema.name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Table { get; set; } = Array.Empty<string>();

    /// <summary>OpenPGP private key of an encrypted backup's recipient: a key file path (gpg --export-secret-keys) or armored key text.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PrivateKey { get; set; }

    /// <summary>Passphrase that unlocks -PrivateKey, when it has one.</summary>
    [Parameter]
    public System.Security.SecureString? PrivateKeyPassphrase { get; set; }

    /// <summary>Passphrase of a backup encrypted with -Passphrase.</summary>
    [Parameter]
    public System.Security.SecureString? Passphrase { get; set; }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var result = await PerItemAsync(async () =>
        {
            var request = new RestoreRequest
            {
                Target = PgConnectionSettings.Parse(TargetConnectionString, DatabaseCredential.From(Credential)),
                Backup = ResolveLocation(Location),
                S3 = BuildS3Options(),
                Clean = Clean,
                CreateDatabase = CreateDatabase,
                NoOwner = NoOwner,
                Tables = Table,
                Decryption = KeyArguments.Decryption(this, PrivateKey, PrivateKeyPassphrase, Passphrase),
                Confirm = Confirm,
            };
            return await new RestoreService(Sink).RunAsync(request, cancellationToken).ConfigureAwait(false);
        }, Location).ConfigureAwait(false);
        if (result is null) return;
        EmitObject(result);
        if (!result.Verified)
        {
            var bad = string.Join("; ", result.Tables.Where(t => !t.Matches));
            EmitError(new ClutterException("RowCountMismatch", FailureKind.InvalidData,
                $"The restore into {result.Database} finished, but row counts differ from the backup's manifest: {bad}. Check the target before using it.",
                result));
        }
    }
}
