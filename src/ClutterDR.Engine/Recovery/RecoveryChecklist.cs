namespace ClutterDR.Recovery;

/// <summary>
/// The guide's 14-point recovery checklist (backup-guide.md, "Checklist: Recovery Verification"): each item's
/// number and words, which parameter checks it by machine, and for the items only a person can tick, what to do. Pure.
/// </summary>
public static class RecoveryChecklist
{
    public const int Connectivity = 1, Tables = 2, Extensions = 3, Storage = 4, Media = 5, Authentication = 6, Api = 7,
        Admin = 8, Health = 9, Monitoring = 10, Logs = 11, UsersNotified = 12, Postmortem = 13, BackupVerification = 14;

    private static readonly string[] Items =
    [
        "",
        "Database connectivity verified",
        "All tables present with correct row counts",
        "Vector search functionality working",
        "Storage bucket accessible",
        "Media files loading correctly",
        "Authentication system functional",
        "API endpoints responding",
        "Admin dashboard accessible",
        "Health checks passing",
        "Monitoring alerts configured",
        "Logs being collected",
        "Users notified of service restoration",
        "Incident postmortem scheduled",
        "Backup verification passed",
    ];

    public static IEnumerable<int> Steps => Enumerable.Range(1, Items.Length - 1);

    /// <summary>The item's words, as the guide has them (item 3 is checked as "the required extensions are installed").</summary>
    public static string Title(int step) => Items[step];

    /// <summary>What a person does to tick an item no machine can check, or null for an item a parameter checks.</summary>
    public static string? ManualHint(int step) => step switch
    {
        Authentication => "Sign in as a test user and as an admin; check that sessions issued before the incident behave as intended.",
        Api => "Call a real read and a real write of the API (-HealthUri covers only the health endpoints, item 9).",
        Admin => "Open the admin dashboard and load one page that reads the database.",
        Monitoring => "Check that the alerts are enabled again and that a test alert reaches the on-call person.",
        Logs => "Check that new log lines of the restored service arrive where logs are collected.",
        UsersNotified => "Tell the users that the service is back, and what data (if any) was lost.",
        Postmortem => "Schedule the postmortem; New-ClutterIncidentReport drafts its report from these checks.",
        BackupVerification => "Back up the recovered database and check it: Backup-ClutterDatabase ... | Test-ClutterBackup -Deep.",
        _ => null,
    };

    /// <summary>Why a machine-checked item was not checked: the parameter that asks for it.</summary>
    public static string SkipReason(int step) => step switch
    {
        Tables => "Not asked: give -Backup (a BackupInfo: every table with at least its rows) or -ExpectedTable.",
        Extensions => "Not asked: give -RequiredExtension (vector for vector search).",
        Storage => "Not asked: give -StorageLocation (s3://bucket/prefix or a folder).",
        Media => "Not asked: give -SampleObject (media keys that must be readable).",
        Health => "Not asked: give -HealthUri (such as https://app.example.com/health and /health/db).",
        _ => "Not asked.",
    };

    /// <summary>What to do when a machine-checked item failed: the end of its RecoveryCheckFailed message.</summary>
    public static string FailureHint(int step) => step switch
    {
        Connectivity => "Check the connection string, the server and its firewall; the other database checks need it.",
        Tables => "Restore the missing tables (Restore-ClutterDatabase -Table) or find out why rows are missing before the service takes writes.",
        Extensions => "Install the extension (CREATE EXTENSION; on a managed server enable it in its dashboard) and check the features that use it.",
        Storage => "Check the bucket or folder name, the endpoint and the credentials, and that the media were restored or synced (Sync-ClutterStorage).",
        Media => "Restore or sync the missing media objects (Sync-ClutterStorage) and check their permissions.",
        Health => "Look at the service's logs: the endpoint must answer 2xx within -TimeoutSec.",
        _ => "Fix it and run the checklist again.",
    };
}
