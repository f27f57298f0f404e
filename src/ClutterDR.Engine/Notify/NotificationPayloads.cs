using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClutterDR.Notify;

/// <summary>The body a webhook gets.</summary>
public enum NotificationFormat
{
    /// <summary>{ status, type, database, location, sizeBytes, size, durationSeconds, duration, errorId, errorMessage, message, plan, job, stepsFailed, host, time, tool }.</summary>
    Json,
    /// <summary>Slack's incoming webhook: { text } (Mattermost and Discord's /slack endpoint take it too).</summary>
    Slack,
    /// <summary>A Microsoft Teams (Office 365 connector) MessageCard.</summary>
    Teams,
}

/// <summary>The body of a notification in each format: pure, every text scrubbed of the secrets the call knows.</summary>
public static class NotificationPayloads
{
    public static byte[] Build(NotificationEvent e, NotificationFormat format, SecretText secrets) => format switch
    {
        NotificationFormat.Slack => Serialize(new JsonObject { ["text"] = secrets.Scrub(Text(e)) }),
        NotificationFormat.Teams => Serialize(Teams(e, secrets)),
        _ => Serialize(Json(e, secrets)),
    };

    private static JsonObject Json(NotificationEvent e, SecretText secrets) => new()
    {
        ["status"] = e.Status,
        ["type"] = e.Type,
        ["database"] = e.Database,
        ["location"] = e.Location is null ? null : secrets.Scrub(e.Location),
        ["sizeBytes"] = e.SizeBytes,
        ["size"] = e.SizeBytes is long b ? Format.Bytes(b) : null,
        ["durationSeconds"] = e.Duration is TimeSpan d ? Math.Round(d.TotalSeconds, 3) : null,
        ["duration"] = e.Duration is TimeSpan d2 ? Format.Duration(d2) : null,
        ["errorId"] = e.ErrorId,
        ["errorMessage"] = e.ErrorMessage is null ? null : secrets.Scrub(e.ErrorMessage),
        ["message"] = e.Message is null ? null : secrets.Scrub(e.Message),
        ["plan"] = e.Plan,
        ["job"] = e.Job,
        ["stepsFailed"] = e.StepsFailed,
        ["host"] = e.Host,
        ["time"] = e.TimeUtc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["tool"] = Backup.BackupService.ToolName,
    };

    /// <summary>One line of text: what, where, how big and long, and the error.</summary>
    public static string Text(NotificationEvent e)
    {
        var icon = e.Status switch { NotificationStatus.Failed => ":x:", NotificationStatus.Start => ":arrow_forward:", _ => ":white_check_mark:" };
        var parts = new List<string> { $"{icon} ClutterDR {e.Type} {e.Status}" };
        if (e.Job is not null) parts.Add($"job {e.Job}");
        if (e.Database is not null) parts.Add($"database {e.Database}");
        if (e.Location is not null) parts.Add($"at {e.Location}");
        if (e.SizeBytes is long b) parts.Add(Format.Bytes(b));
        if (e.Duration is TimeSpan d) parts.Add($"in {Format.Duration(d)}");
        parts.Add($"on {e.Host}");
        var text = string.Join(", ", parts);
        if (e.Message is not null) text += $": {e.Message}";
        if (e.ErrorId is not null) text += $" [{e.ErrorId}] {e.ErrorMessage}";
        return text;
    }

    private static JsonObject Teams(NotificationEvent e, SecretText secrets)
    {
        var facts = new JsonArray();
        void Fact(string name, string? value) { if (value is not null) facts.Add(new JsonObject { ["name"] = name, ["value"] = secrets.Scrub(value) }); }
        Fact("Status", e.Status);
        Fact("Type", e.Type);
        Fact("Job", e.Job);
        Fact("Steps failed", e.StepsFailed?.ToString(CultureInfo.InvariantCulture));
        Fact("Database", e.Database);
        Fact("Location", e.Location);
        Fact("Size", e.SizeBytes is long b ? Format.Bytes(b) : null);
        Fact("Duration", e.Duration is TimeSpan d ? Format.Duration(d) : null);
        Fact("Error", e.ErrorId is null ? null : $"{e.ErrorId}: {e.ErrorMessage}");
        Fact("Host", e.Host);
        Fact("Time", e.TimeUtc.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        var title = $"ClutterDR {e.Type} {e.Status}{(e.Database is null ? "" : " - " + e.Database)}";
        return new JsonObject
        {
            ["@type"] = "MessageCard",
            ["@context"] = "https://schema.org/extensions",
            ["themeColor"] = e.Status switch { NotificationStatus.Failed => "D00000", NotificationStatus.Start => "0078D7", _ => "2EB886" },
            ["summary"] = title,
            ["title"] = title,
            ["text"] = e.Message is null ? null : secrets.Scrub(e.Message),
            ["sections"] = new JsonArray { new JsonObject { ["facts"] = facts } },
        };
    }

    private static byte[] Serialize(JsonObject o) => JsonSerializer.SerializeToUtf8Bytes(o);
}
