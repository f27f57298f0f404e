namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs): notifications and heartbeats (Send-ClutterNotification).</summary>
public static partial class Errors
{
    public static readonly ErrorDef NotificationFailed = new("NotificationFailed", FailureKind.ConnectionError, Terminating: false,
        "A notification or heartbeat ping could not be delivered: the service answered with an error, or did not answer, also after the retries of transient failures (5xx, 408, 429, timeouts); nothing else is affected. The message names the service without the URI's token. Check the URI and that the service is reachable.");

    public static readonly ErrorDef NotificationUriInvalid = new("NotificationUriInvalid", FailureKind.InvalidArgument, Terminating: true,
        "`-Uri` or `-HeartbeatUri` is not an absolute `http://` or `https://` URI. Give the webhook URL as the service shows it (Slack, Teams, a JSON endpoint) or the heartbeat's ping URL (such as `https://hc-ping.com/<uuid>`).");

    public static readonly ErrorDef NothingToNotify = new("NothingToNotify", FailureKind.InvalidArgument, Terminating: false,
        "`Send-ClutterNotification` got neither a ClutterDR result object (BackupInfo, RestoreResult, SyncSummary, BackupVerification, BackupAgeResult, an error record) nor `-Status`. Pipe the results of a ClutterDR cmdlet into it, or give `-Status` (and `-Message`).");
}
