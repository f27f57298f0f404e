using System.Net;
using System.Net.Sockets;
using System.Text;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Recovery;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>
/// Test-ClutterRecovery's engine against the real servers: a live PostgreSQL database, Ceph RGW buckets (one with
/// media, one that does not exist), health endpoints served by an HttpListener on 127.0.0.1 (200, 503, one that never
/// answers) and a closed loopback port. The whole checklist comes out, in the guide's order, every time.
/// </summary>
public class RecoveryTests
{
    /// <summary>Keeps what the service hands the host: the checks as they are made and the problems.</summary>
    private sealed class RecordingHost : ITestHost
    {
        public List<RecoveryCheck> Items { get; } = new();
        public List<ClutterException> Problems { get; } = new();
        public void Progress(ProgressUpdate update) { }
        public void Verbose(string message) { }
        public void Warning(string message) { }
        ValueTask IEngineHost.ItemAsync(object item) { lock (Items) Items.Add((RecoveryCheck)item); return ValueTask.CompletedTask; }
        ValueTask IEngineHost.ProblemAsync(ClutterException problem) { lock (Problems) Problems.Add(problem); return ValueTask.CompletedTask; }
    }

    /// <summary>A health server on 127.0.0.1: /health answers 200, /health/db 503, /slow never within a test's timeout.</summary>
    private sealed class HealthServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly CancellationTokenSource _stop = new();
        public HealthServer()
        {
            Port = FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    HttpListenerContext context;
                    try { context = await _listener.GetContextAsync(); } catch (Exception) { return; }
                    _ = Task.Run(async () =>
                    {
                        var path = context.Request.Url!.AbsolutePath;
                        if (path == "/slow") { try { await Task.Delay(TimeSpan.FromSeconds(20), _stop.Token); } catch (OperationCanceledException) { } }
                        context.Response.StatusCode = path == "/health" ? 200 : path == "/health/db" ? 503 : 404;
                        var body = Encoding.UTF8.GetBytes(path == "/health" ? "ok" : "down");
                        try { await context.Response.OutputStream.WriteAsync(body); context.Response.Close(); } catch (Exception) { }
                    });
                }
            });
        }
        public int Port { get; }
        public Uri Uri(string path) => new($"http://127.0.0.1:{Port}{path}");
        public void Dispose() { _stop.Cancel(); _listener.Close(); }
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static async Task<string> NewDatabaseAsync() => await TestServers.NewDatabaseAsync(
        "create extension pg_trgm; create table items (id int primary key, name text); insert into items select g, md5(g::text) from generate_series(1, 300) g; create table media (id int primary key, key text)");

    private static PgConnectionSettings Settings(string db) => PgConnectionSettings.Parse(TestServers.PgUrl(db));

    private static async Task<string> MediaBucketAsync()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var store = ObjectStores.Open(BackupLocation.Parse($"s3://{bucket}/media"), TestServers.S3Options);
        await store.PutAsync("avatars/1.jpg", new byte[70_000], new WriteOptions { ContentType = "image/jpeg" }, CancellationToken.None);
        return bucket;
    }

    private static async Task<(List<RecoveryCheck> Checks, RecordingHost Host)> RunAsync(RecoveryRequest request)
    {
        var host = new RecordingHost();
        var returned = await new RecoveryService(host).RunAsync(request, CancellationToken.None);
        Assert.Equal(returned.Select(c => c.ToString()), host.Items.Select(c => c.ToString())); // emitted as made, the same list
        // The whole checklist, in its order, every item at least once.
        Assert.Equal(Enumerable.Range(1, 14), host.Items.Select(c => c.Step).Distinct());
        Assert.True(host.Items.Select(c => c.Step).SequenceEqual(host.Items.Select(c => c.Step).Order()), "in the checklist's order");
        // Exactly one RecoveryCheckFailed per failed check, naming its target.
        var failed = host.Items.Where(c => c.Status == RecoveryCheckStatus.Failed).ToList();
        Assert.Equal(failed.Count, host.Problems.Count);
        Assert.All(host.Problems, p => Assert.True(p.Is(Errors.RecoveryCheckFailed)));
        Assert.Equal(failed.Select(c => c.Target), host.Problems.Select(p => (string)p.Target!));
        return (host.Items, host);
    }

    private static RecoveryCheck Only(List<RecoveryCheck> checks, int step, string? target = null) =>
        Assert.Single(checks, c => c.Step == step && (target is null || c.Target == target));

    [Fact]
    public async Task AHealthyRecoveryPassesEveryMachineCheckAndListsTheRestAsManual()
    {
        var db = await NewDatabaseAsync();
        var bucket = await MediaBucketAsync();
        using var health = new HealthServer();
        var backup = new BackupInfo { Location = "s3://b/db/x.dump.zst", Database = db, CreatedUtc = DateTime.UtcNow.AddHours(-3), Tables = [new("public", "items", 300), new("public", "media", 0)] };
        var (checks, _) = await RunAsync(new RecoveryRequest
        {
            Database = Settings(db), Backup = backup, ExpectedTables = ["items", "public.med*"], RequiredExtensions = ["pg_trgm"],
            StorageLocation = BackupLocation.Parse($"s3://{bucket}/media"), S3 = TestServers.S3Options,
            SampleObjects = ["avatars/1.jpg", $"s3://{bucket}/media/avatars/1.jpg"], HealthUris = [health.Uri("/health")],
        });

        Assert.DoesNotContain(checks, c => c.Status is RecoveryCheckStatus.Failed or RecoveryCheckStatus.Skipped);
        Assert.Contains("PostgreSQL 15", Only(checks, 1).Detail);
        Assert.Equal($"127.0.0.1:{TestServers.PgPort}/{db}", Only(checks, 1).Target);
        Assert.Equal(3, checks.Count(c => c.Step == 2));
        Assert.Contains("All 2 tables", Only(checks, 2, backup.Location).Detail);
        Assert.Contains("public.media", Only(checks, 2, "public.med*").Detail);
        Assert.Contains("version", Only(checks, 3, "pg_trgm").Detail);
        Assert.Contains("avatars/1.jpg", Only(checks, 4).Detail);
        Assert.Contains("70.0 KB", Only(checks, 4).Detail);
        Assert.All(checks.Where(c => c.Step == 5), c => Assert.Contains("image/jpeg", c.Detail));
        Assert.Equal($"s3://{bucket}/media/avatars/1.jpg", checks.First(c => c.Step == 5).Target);
        Assert.StartsWith("Answered 200", Only(checks, 9).Detail);
        Assert.Equal(new[] { 6, 7, 8, 10, 11, 12, 13, 14 }, checks.Where(c => c.Status == RecoveryCheckStatus.Manual).Select(c => c.Step));
        Assert.All(checks.Where(c => c.Status == RecoveryCheckStatus.Manual), c => Assert.NotEmpty(c.Detail));
        Assert.All(checks, c => Assert.True(c.CheckedUtc > DateTime.UtcNow.AddMinutes(-5)));
    }

    [Fact]
    public async Task EachKindOfFailureIsAFailedCheckWithItsReason()
    {
        var db = await NewDatabaseAsync();
        using var health = new HealthServer();
        var closed = FreePort();
        var missingBucket = "xt-missing-" + Guid.NewGuid().ToString("N")[..8];
        var backup = new BackupInfo { Location = "s3://b/db/x.dump.zst", Database = db, CreatedUtc = DateTime.UtcNow, Tables = [new("public", "items", 301), new("public", "gone", 5)] };
        var (checks, _) = await RunAsync(new RecoveryRequest
        {
            Database = Settings(db), Backup = backup, ExpectedTables = ["nope"], RequiredExtensions = ["pg_trgm", "vector", "hstore"],
            StorageLocation = BackupLocation.Parse($"s3://{missingBucket}/media"), S3 = TestServers.S3Options,
            SampleObjects = ["avatars/1.jpg"],
            HealthUris = [health.Uri("/health"), health.Uri("/health/db"), new Uri($"http://127.0.0.1:{closed}/health"), health.Uri("/slow?token=abc")],
            Timeout = TimeSpan.FromSeconds(1),
        });

        Assert.Equal(RecoveryCheckStatus.Passed, Only(checks, 1).Status);
        var rows = Only(checks, 2, backup.Location);
        Assert.Equal(RecoveryCheckStatus.Failed, rows.Status);
        Assert.Contains("public.items has 300 rows, the backup had 301", rows.Detail);
        Assert.Contains("public.gone is missing", rows.Detail);
        Assert.Equal(RecoveryCheckStatus.Failed, Only(checks, 2, "nope").Status);
        Assert.Equal(RecoveryCheckStatus.Passed, Only(checks, 3, "pg_trgm").Status);
        Assert.Contains("does not offer it", Only(checks, 3, "vector").Detail);  // pgvector is not installed here
        Assert.Contains("CREATE EXTENSION \"hstore\"", Only(checks, 3, "hstore").Detail);
        var storage = Only(checks, 4);
        Assert.Equal(RecoveryCheckStatus.Failed, storage.Status);
        Assert.Equal("LocationNotFound", storage.ErrorId);
        Assert.Equal(RecoveryCheckStatus.Failed, Only(checks, 5).Status);
        Assert.Equal(RecoveryCheckStatus.Passed, Only(checks, 9, health.Uri("/health").ToString()).Status);
        Assert.Contains("503", Only(checks, 9, health.Uri("/health/db").ToString()).Detail);
        var refused = Only(checks, 9, $"http://127.0.0.1:{closed}/health");
        Assert.Equal(RecoveryCheckStatus.Failed, refused.Status);
        Assert.Contains("ConnectionRefused", refused.Detail);
        var slow = Only(checks, 9, $"http://127.0.0.1:{health.Port}/slow?...");  // the query string (a token) is never shown
        Assert.Contains("No answer within 1s", slow.Detail);
        Assert.InRange(slow.Duration, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(checks, c => c.Detail.Contains("token=abc") || c.Target.Contains("token=abc"));
        Assert.Equal(9, checks.Count(c => c.Status == RecoveryCheckStatus.Failed)); // rows, nope, vector, hstore, bucket, sample, 503, refused, slow
    }

    [Fact]
    public async Task AnUnreachableDatabaseFailsItemOneAndSkipsTheDatabaseChecksAfterIt()
    {
        var closed = FreePort();
        var (checks, host) = await RunAsync(new RecoveryRequest
        {
            Database = PgConnectionSettings.Parse($"postgresql://{TestServers.PgUser}@127.0.0.1:{closed}/postgres"),
            ExpectedTables = ["items"], RequiredExtensions = ["vector"],
        });
        var first = Only(checks, 1);
        Assert.Equal(RecoveryCheckStatus.Failed, first.Status);
        Assert.Equal("ServerUnreachable", first.ErrorId);
        Assert.Contains("could not be reached", Only(checks, 2).Detail);
        Assert.Equal(RecoveryCheckStatus.Skipped, Only(checks, 3).Status);
        Assert.Equal(new[] { 4, 5, 9 }, checks.Where(c => c.Status == RecoveryCheckStatus.Skipped && c.Detail.StartsWith("Not asked")).Select(c => c.Step));
        Assert.Single(host.Problems);
        Assert.Contains("Check the connection string", host.Problems[0].Message);
    }

    [Fact]
    public async Task AMediaFolderIsReadThroughTheSameStoreAsABucket()
    {
        var db = await NewDatabaseAsync();
        var folder = Directory.CreateTempSubdirectory("xt-media-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "a"));
            await File.WriteAllBytesAsync(Path.Combine(folder, "a", "1.png"), new byte[1234]);
            var (checks, _) = await RunAsync(new RecoveryRequest
            {
                Database = Settings(db), StorageLocation = BackupLocation.ForFolder(folder),
                SampleObjects = ["a/1.png", Path.Combine(folder, "a", "1.png"), "a/missing.png"],
            });
            Assert.Equal(RecoveryCheckStatus.Passed, Only(checks, 4).Status);
            var samples = checks.Where(c => c.Step == 5).ToList();
            Assert.Equal(new[] { RecoveryCheckStatus.Passed, RecoveryCheckStatus.Passed, RecoveryCheckStatus.Failed }, samples.Select(c => c.Status));
            Assert.Contains("does not exist", samples[2].Detail);
        }
        finally { Directory.Delete(folder, true); }
    }
}
