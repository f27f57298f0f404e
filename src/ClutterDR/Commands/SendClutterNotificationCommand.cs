using System.Management.Automation;
using ClutterDR.Notify;

namespace ClutterDR.Commands;

/// <summary>
/// Send-ClutterNotification: posts each piped ClutterDR result (or -Status and -Message) to webhooks as JSON, Slack
/// text or a Teams card, and pings a healthchecks.io-style heartbeat (start, success, fail). A notification that
/// cannot be delivered is a non-terminating NotificationFailed error; with -PassThru the input goes on down the pipeline.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "ClutterNotification", DefaultParameterSetName = ObjectSet)]
[OutputType(typeof(object))]
public sealed class SendClutterNotificationCommand : AsyncCmdlet
{
    private const string ObjectSet = "Object";
    private const string StatusSet = "Status";

    /// <summary>Webhook URLs to POST to (Slack or Teams incoming webhooks, any endpoint taking JSON).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public Uri[] Uri { get; set; } = Array.Empty<Uri>();

    /// <summary>Json (the default), Slack or Teams.</summary>
    [Parameter]
    [ValidateSet(nameof(NotificationFormat.Json), nameof(NotificationFormat.Slack), nameof(NotificationFormat.Teams))]
    public string Format { get; set; } = nameof(NotificationFormat.Json);

    /// <summary>A healthchecks.io-style ping URL: Start pings &lt;uri&gt;/start, success &lt;uri&gt;, a failure &lt;uri&gt;/fail.</summary>
    [Parameter]
    [ValidateNotNull]
    public Uri? HeartbeatUri { get; set; }

    /// <summary>Results of ClutterDR cmdlets (BackupInfo, RestoreResult, SyncSummary, BackupVerification, BackupAgeResult) or error records.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectSet)]
    public object? InputObject { get; set; }

    /// <summary>Start (a job begins: heartbeat /start), Success or Failed, without a result object.</summary>
    [Parameter(Mandatory = true, ParameterSetName = StatusSet)]
    [ValidateSet("Start", "Success", "Failed")]
    public string Status { get; set; } = "";

    /// <summary>With -Status: the text of the notification.</summary>
    [Parameter(ParameterSetName = StatusSet)]
    public string? Message { get; set; }

    /// <summary>With -Status: what ran (the notification's type; default "job").</summary>
    [Parameter(ParameterSetName = StatusSet)]
    [ValidateNotNullOrEmpty]
    public string Type { get; set; } = "job";

    /// <summary>How often a transient failure (5xx, 408, 429, a timeout) is tried again; 0: never.</summary>
    [Parameter]
    [ValidateRange(0, 20)]
    public int MaxRetries { get; set; } = RetryPolicy.DefaultMaxRetries;

    /// <summary>How long one attempt may take, in seconds.</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>Writes each input object on, so that the command can sit in the middle of a pipeline.</summary>
    [Parameter(ParameterSetName = ObjectSet)]
    public SwitchParameter PassThru { get; set; }

    private readonly SecretText _secrets = new();
    private Notifier? _notifier;
    private bool _failed;
    private int _sent;

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if (Uri.Length == 0 && HeartbeatUri is null)
            throw new ClutterException(Errors.NotificationUriInvalid, "Give -Uri (a webhook), -HeartbeatUri (a heartbeat's ping URL), or both.", "Uri");
        foreach (var u in Uri) Notifier.Check(u, nameof(Uri));
        if (HeartbeatUri is not null) Notifier.Check(HeartbeatUri, nameof(HeartbeatUri));
        _notifier = new Notifier(Sink, _secrets, MaxRetries, TimeSpan.FromSeconds(TimeoutSec));
        return Task.CompletedTask;
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (ParameterSetName != ObjectSet || InputObject is null) return;
        var item = InputObject is PSObject pso ? pso.BaseObject : InputObject;
        var e = item is ErrorRecord record ? FromError(record) : NotificationEvent.From(item);
        if (e is null)
        {
            await EmitErrorAsync(new ClutterException(Errors.NothingToNotify,
                $"A {item.GetType().FullName} is not a ClutterDR result: pipe BackupInfo, RestoreResult, SyncSummary, BackupVerification, BackupAgeResult or error records, or use -Status.", item.GetType().FullName)).ConfigureAwait(false);
        }
        else
        {
            await SendAsync(e, cancellationToken).ConfigureAwait(false);
        }
        if (PassThru) await EmitObjectAsync(InputObject).ConfigureAwait(false);
    }

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (ParameterSetName == StatusSet)
            {
                var status = Status.ToLowerInvariant();
                await SendAsync(new NotificationEvent { Status = status, Type = Type, Message = Message }, cancellationToken).ConfigureAwait(false);
                if (HeartbeatUri is not null) await _notifier!.PingAsync(HeartbeatUri, status, Message, cancellationToken).ConfigureAwait(false);
            }
            else if (HeartbeatUri is not null && _sent > 0)
            {
                await _notifier!.PingAsync(HeartbeatUri, _failed ? NotificationStatus.Failed : NotificationStatus.Success, null, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _notifier?.Dispose();
        }
    }

    private async Task SendAsync(NotificationEvent e, CancellationToken cancellationToken)
    {
        _sent++;
        _failed |= e.IsFailure;
        var format = Enum.Parse<NotificationFormat>(Format, ignoreCase: true);
        foreach (var u in Uri) await _notifier!.PostAsync(u, e, format, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An error record as a failed event: its ErrorId, message and target, and the cmdlet that wrote it.</summary>
    private static NotificationEvent FromError(ErrorRecord record) => new()
    {
        Status = NotificationStatus.Failed,
        Type = record.InvocationInfo?.MyCommand?.Name switch
        {
            "Backup-ClutterDatabase" => "database", "Restore-ClutterDatabase" => "restore", "Sync-ClutterStorage" => "sync",
            "Test-ClutterBackup" => "verify", "Test-ClutterBackupAge" => "age", "Backup-ClutterConfiguration" => "config",
            string name => name, null => "error",
        },
        ErrorId = record.FullyQualifiedErrorId.Split(',')[0],
        ErrorMessage = record.ErrorDetails?.Message ?? record.Exception.Message,
        Location = record.TargetObject as string,
    };
}
