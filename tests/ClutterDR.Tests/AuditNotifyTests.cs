using System.Net;
using System.Text.Json;
using ClutterDR.Audit;
using ClutterDR.Notify;
using Xunit;

namespace ClutterDR.Tests;

/// <summary>Pure logic of the audit trail and notifications: scrubbing, the summary of a run, the bodies, what is retried.</summary>
public sealed class AuditNotifyTests
{
    [Fact]
    public void SecretTextScrubsKnownSecretsTheirEncodingsAndSecretLookingParts()
    {
        var s = new SecretText().Add("p@ss:w/rd-123").Add("x"); // too short to scrub: ignored
        Assert.Equal(2, s.Count); // raw and URI-escaped (form-encoded is the same here); "x" is too short
        var text = s.Scrub("postgresql://app:p%40ss%3Aw%2Frd-123@db:5432/app and p@ss:w/rd-123 and Password=hunter22;Host=x, Bearer abc.def-ghi, https://u:tok3n@h/x");
        Assert.DoesNotContain("p@ss", text);
        Assert.DoesNotContain("p%40ss", text);
        Assert.DoesNotContain("hunter22", text);
        Assert.DoesNotContain("abc.def-ghi", text);
        Assert.DoesNotContain("tok3n", text);
        Assert.Contains("Host=x", text);
        Assert.Contains("x,", text);
    }

    [Theory]
    [InlineData("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/services/...")]
    [InlineData("https://hc-ping.com/0f1e2d3c-aaaa-bbbb-cccc-123456789abc", "https://hc-ping.com/...")]
    [InlineData("http://user:pw@127.0.0.1:8080/hook?token=abc", "http://127.0.0.1:8080/hook")]
    public void DisplayUriDropsUserInfoQueryAndTokenPaths(string uri, string shown) =>
        Assert.Equal(shown, SecretText.DisplayUri(new Uri(uri)));

    [Fact]
    public void AuditSummaryCountsCopiesOnceAndRecordsTheFirstErrorScrubbed()
    {
        var summary = new AuditSummary();
        summary.Saw(new BackupInfo { Location = "/b/1", Database = "app", Sha256 = new string('a', 64), SizeBytes = 100 });
        summary.Saw(new BackupInfo { Location = "s3://b/1", Database = "app", Sha256 = new string('a', 64), SizeBytes = 100 });
        var secrets = new SecretText().Add("s3cr3t-pw");
        var ok = summary.ToFinish(secrets);
        Assert.Equal("success", ok.Status);
        Assert.Equal(100, ok.Size);
        Assert.Equal("/b/1, s3://b/1", ok.Location);
        Assert.Equal(new string('a', 64), ok.Sha256);
        summary.Failed("AuthenticationFailed", "login with s3cr3t-pw refused");
        summary.Failed("Other", "second");
        var failed = summary.ToFinish(secrets);
        Assert.Equal("failed", failed.Status);
        Assert.Equal("AuthenticationFailed", failed.ErrorId);
        Assert.Equal("login with **** refused", failed.ErrorMessage);
    }

    [Fact]
    public void AStoppedRunIsRecordedAsRunStopped()
    {
        var summary = new AuditSummary();
        summary.Failed(new OperationCanceledException());
        Assert.Equal(Errors.RunStopped.Id, summary.ToFinish(new SecretText()).ErrorId);
    }

    [Fact]
    public void PayloadsCarryTheFactsInEachFormat()
    {
        var e = new NotificationEvent { Status = NotificationStatus.Failed, Type = "database", Database = "app", Location = "s3://b/app", SizeBytes = 2048, Duration = TimeSpan.FromSeconds(3), ErrorId = "PgDumpFailed", ErrorMessage = "pg_dump said password=abc123x", Host = "h1" };
        var secrets = new SecretText();
        using var json = JsonDocument.Parse(NotificationPayloads.Build(e, NotificationFormat.Json, secrets));
        Assert.Equal("failed", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(2048, json.RootElement.GetProperty("sizeBytes").GetInt64());
        Assert.Equal(3, json.RootElement.GetProperty("durationSeconds").GetDouble());
        Assert.Equal("PgDumpFailed", json.RootElement.GetProperty("errorId").GetString());
        Assert.DoesNotContain("abc123x", json.RootElement.GetProperty("errorMessage").GetString());
        using var slack = JsonDocument.Parse(NotificationPayloads.Build(e, NotificationFormat.Slack, secrets));
        Assert.Single(slack.RootElement.EnumerateObject());
        Assert.Contains("[PgDumpFailed]", slack.RootElement.GetProperty("text").GetString());
        using var teams = JsonDocument.Parse(NotificationPayloads.Build(e, NotificationFormat.Teams, secrets));
        Assert.Equal("MessageCard", teams.RootElement.GetProperty("@type").GetString());
        Assert.Equal("D00000", teams.RootElement.GetProperty("themeColor").GetString());
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.RequestTimeout, true)]
    [InlineData(HttpStatusCode.NotFound, false)]
    [InlineData(HttpStatusCode.Unauthorized, false)]
    public void AnHttpAnswerIsTransientOnlyWhen5xx408Or429(HttpStatusCode code, bool transient)
    {
        var e = new HttpRequestException("x", null, code);
        Assert.Equal(transient, Notifier.Classify(e));
        Assert.Equal(transient, RetryPolicy.IsTransient(e, default, Notifier.Classify));
    }
}
