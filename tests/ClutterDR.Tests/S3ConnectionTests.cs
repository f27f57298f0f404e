using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using ClutterDR.Catalog;
using ClutterDR.Repository;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>
/// The S3 client's pooled connections after a request the server refused or we cancelled, against the
/// real S3 test server (Ceph RGW). RGW answers a PUT with an unknown storage class 400 from its headers;
/// the body it never read must not reach the next request on that connection.
/// </summary>
public class S3ConnectionTests
{
    [Theory]
    [InlineData(5)]      // "hello": under .NET's 1 KiB "send it anyway after an error" threshold
    [InlineData(1000)]   // the StorageClass Pester test's files
    [InlineData(70_000)] // over the threshold and over one socket write
    public async Task ARefusedPutLeavesTheNextRequestOnTheClientIntact(int size)
    {
        var bucket = await TestServers.NewBucketAsync();
        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}/p"), TestServers.S3Options);
        var body = size == 5 ? Encoding.ASCII.GetBytes("hello") : RandomNumberGenerator.GetBytes(size);
        for (var i = 0; i < 15; i++)
        {
            var refused = await Assert.ThrowsAsync<ClutterException>(() =>
                repo.PutAsync($"bad{i}", body, "application/octet-stream", "BOGUS", CancellationToken.None));
            Assert.Equal("StorageClassRejected", refused.ErrorId);
            // The very next requests on the same client (and so on the same pooled connection): a good PUT, a GET.
            await repo.PutAsync($"good{i}", body, "application/octet-stream", null, CancellationToken.None);
            Assert.Equal(body, await repo.TryReadAllAsync($"good{i}", CancellationToken.None));
        }
        var keys = (await S3RepositoryTests.ToListAsync(repo.ListAsync("", CancellationToken.None))).Select(e => e.Key).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 15).Select(i => $"good{i}").Order().ToList(), keys);
    }

    [Fact]
    public async Task AnUploadAbortedWhileAPartIsOnItsWayIsGoneAndTheClientStaysUsable()
    {
        // The abort cancels the part in flight, then sends AbortMultipartUpload on the same client:
        // that must reach the server (no upload left) and the client must go on working.
        var bucket = await TestServers.NewBucketAsync();
        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}"), TestServers.S3Options,
            new S3UploadOptions { InitialPartSize = 5 << 20, PartsInFlight = 2 });
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        for (var i = 0; i < 5; i++)
        {
            await using (var w = await repo.CreateAsync($"cancelled{i}", null, CancellationToken.None))
            {
                await w.Stream.WriteAsync(RandomNumberGenerator.GetBytes(6 << 20)); // one part on its way
                await w.AbortAsync();
            }
            Assert.Empty(await S3RepositoryTests.ListUploadsAsync(client, bucket));
            await repo.PutAsync($"after{i}", new byte[] { 1, 2, 3 }, "application/octet-stream", null, CancellationToken.None);
            Assert.True(await repo.ExistsAsync($"after{i}", CancellationToken.None));
        }
    }

    [Theory]
    [InlineData("PUT", 400, "application/xml", 200L, true)]        // a refusal the SDK reads whole
    [InlineData("POST", 200, "application/xml", 266L, true)]       // InitiateMultipartUpload
    [InlineData("GET", 200, "application/xml", null, true)]        // a listing (RGW sends it chunked)
    [InlineData("GET", 404, "application/xml", 230L, true)]        // NoSuchKey
    [InlineData("GET", 200, "application/json", 900L, true)]       // a small object (a manifest)
    [InlineData("GET", 200, "application/octet-stream", 50_000_000L, false)] // a backup's data: streamed
    [InlineData("GET", 200, "application/octet-stream", null, false)]
    [InlineData("HEAD", 200, "application/octet-stream", 50_000_000L, false)] // no body
    [InlineData("DELETE", 204, null, null, false)]
    public void ApiAnswersAreReadWholeAndObjectBodiesStream(string method, int status, string? type, long? length, bool buffered)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new UnknownLengthContent() };
        response.Content.Headers.ContentType = type is null ? null : new MediaTypeHeaderValue(type);
        response.Content.Headers.ContentLength = length;
        Assert.Equal(buffered, S3Http.IsApiAnswer(new HttpMethod(method), response));
    }

    /// <summary>Like a response's content: no length unless the headers say one.</summary>
    private sealed class UnknownLengthContent : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => Task.CompletedTask;
        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task AnUploadStoppedWhileItStartsIsAbortedAndTheNextRequestGetsItsAnswer()
    {
        // A stop (Sync with Select-Object -First, Ctrl+C) while InitiateMultipartUpload's answer is read: the SDK
        // disposes that response from the cancellation callback, while it is still reading it. That used to lose
        // the upload id (an upload left behind) or make the next request on the client, the abort, wait for an
        // answer it had already received until its timeout (30 s), after which the upload was left as well.
        var bucket = await TestServers.NewBucketAsync();
        using var repo = BackupRepository.Open(BackupLocation.Parse($"s3://{bucket}"), TestServers.S3Options,
            new S3UploadOptions { InitialPartSize = 5 << 20, PartsInFlight = 2 });
        using var client = S3ClientFactory.Create(TestServers.S3Options);
        await repo.PutAsync("marker", new byte[] { 1 }, "application/octet-stream", null, CancellationToken.None);
        var data = RandomNumberGenerator.GetBytes(6 << 20); // over one part: the write starts the upload
        var stopped = 0;
        for (var i = 0; i < 40; i++)
        {
            await using (var w = await repo.CreateAsync($"stopped{i}", null, CancellationToken.None))
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(i * 2 % 60)); // before, during and after the answer
                try
                {
                    await w.Stream.WriteAsync(data, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    stopped++;
                }
                await w.AbortAsync();
            }
            Assert.Empty(await S3RepositoryTests.ListUploadsAsync(client, bucket)); // aborted, or never started
            // The next request on the same client gets its answer (a bound far above its few milliseconds).
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.True(await repo.ExistsAsync("marker", bound.Token), $"iteration {i}");
        }
        Assert.True(stopped > 0, "no write was stopped: the test did not test anything");
    }
}
