namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Restores shaped for their target: a Supabase project or plain PostgreSQL.</summary>
public static partial class Errors
{
    public static readonly ErrorDef TargetNotSupabase = new("TargetNotSupabase", FailureKind.InvalidArgument, Terminating: false,
        "`-TargetKind Supabase` was given, but the target lacks Supabase's roles or managed schemas; nothing was changed. Check the connection string (the project's direct connection or its session pooler), or use `-TargetKind PostgreSQL`.");

    public static readonly ErrorDef RolesMissing = new("RolesMissing", FailureKind.ObjectNotFound, Terminating: false,
        "The backup grants to, or is owned by, roles the target server does not have; nothing was changed. Add `-CreateMissingRoles` (creates them NOLOGIN), `-NoPrivileges` (no grants or owners), or create them first; a backup made with `-IncludeRoles` brings the project's own roles.");

    public static readonly ErrorDef ExtensionNotAvailable = new("ExtensionNotAvailable", FailureKind.ObjectNotFound, Terminating: false,
        "The backup uses an extension the target does not have and the connected role may not create (such as vector on a new Supabase project); nothing was changed. Enable it first (Supabase: Database, Extensions; elsewhere `CREATE EXTENSION` as a superuser), then restore again.");

    public static readonly ErrorDef TargetKindNeedsCustomFormat = new("TargetKindNeedsCustomFormat", FailureKind.InvalidArgument, Terminating: false,
        "A restore into a Supabase project, or with `-CreateMissingRoles` or `-NoPrivileges`, picks entries from the archive's table of contents, which a plain-format backup does not have. Restore a custom-format backup (the default of Backup-ClutterDatabase).");

    public static readonly ErrorDef GrantsMismatch = new("GrantsMismatch", FailureKind.InvalidData, Terminating: false,
        "The restore finished, but the grants on some tables differ from the ones the backup recorded (wider or narrower); the result is output as well. Compare them (psql `\\dp`) before opening the project to its users.");
}
