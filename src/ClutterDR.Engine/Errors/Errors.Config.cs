namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs): configuration backups (Backup-/Restore-ClutterConfiguration).</summary>
public static partial class Errors
{
    public static readonly ErrorDef ConfigSecretsNeedEncryption = new("ConfigSecretsNeedEncryption", FailureKind.InvalidArgument, Terminating: true,
        "`Backup-ClutterConfiguration -EnvironmentVariable` without `-Recipient` or `-Passphrase`: the values of environment variables are secrets, so such a backup is encrypted; nothing was written. Add `-Recipient` (or `-Passphrase`), or `-AllowPlaintextSecrets` to store them in the clear on purpose.");

    public static readonly ErrorDef NothingToBackUpConfig = new("NothingToBackUpConfig", FailureKind.InvalidArgument, Terminating: true,
        "`Backup-ClutterConfiguration` was given no source, or its `-EnvironmentVariable` patterns match no variable; nothing was written. Give at least one of `-EnvironmentVariable`, `-Uri`, `-GitRepository`, `-Path`, and check the variable names.");

    public static readonly ErrorDef ConfigSourceFailed = new("ConfigSourceFailed", FailureKind.OperationFailed, Terminating: false,
        "A source of `Backup-ClutterConfiguration` could not be read: `-Uri` answered with an error (401/403: check `-BearerToken`) or not JSON, `git bundle create` failed (not a repository, git not installed), or a `-Path` file does not exist. Nothing was written. Act on the message, which names the source (a URI without its query).");

    public static readonly ErrorDef NotConfigBackup = new("NotConfigBackup", FailureKind.InvalidArgument, Terminating: false,
        "`Restore-ClutterConfiguration` was given a database backup, or `Restore-ClutterDatabase` a configuration backup. Give a backup of the kind the command restores (`Get-ClutterBackup -Kind Config` lists configuration backups).");

    public static readonly ErrorDef ConfigFileExists = new("ConfigFileExists", FailureKind.ResourceExists, Terminating: false,
        "`Restore-ClutterConfiguration`: a file the backup holds already exists in `-Destination`; nothing was overwritten. Restore into an empty folder, or add `-Force` to overwrite.");

    public static readonly ErrorDef ConfigBackupDamaged = new("ConfigBackupDamaged", FailureKind.InvalidData, Terminating: false,
        "A configuration backup's tar is damaged, or holds an entry whose path would leave `-Destination` (an absolute path or `..`); nothing past that entry was written. Use another configuration backup.");
}
