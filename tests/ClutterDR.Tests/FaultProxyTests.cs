using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ClutterDR.FaultProxy;

namespace ClutterDR.Tests;

/// <summary>
/// The fault proxy itself (tests/FaultProxy), in front of the real S3 test server: it forwards signed
/// requests unchanged over kept-alive connections, and each rule fires exactly on the requests it names.
/// The client here has no retries of its own, so every fault reaches the test.
/// </summary>
public class FaultProxyTests
{
    internal static S3FaultProxy NewProxy() => new S3FaultProxy(TestServers.S3Endpoint).Start();

    private static AmazonS3Client RawClient(S3FaultProxy proxy) =>
        new(new BasicAWSCredentials(TestServers.S3AccessKey, TestServers.S3SecretKey), new AmazonS3Config
        {
            ServiceURL = proxy.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0, MaxStaleConnectionRetries = 0,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    private static PutObjectRequest Put(string bucket, string key, byte[] data) =>
        new() { BucketName = bucket, Key = key, InputStream = new MemoryStream(data), UseChunkEncoding = false };

    private static async Task<byte[]> GetAsync(IAmazonS3 client, string bucket, string key)
    {
        using var r = await client.GetObjectAsync(bucket, key);
        var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Fact]
    public async Task ForwardsSignedRequestsOverKeptAliveConnections()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var proxy = NewProxy();
        using var client = RawClient(proxy);
        var data = RandomNumberGenerator.GetBytes(300_000);
        await client.PutObjectAsync(Put(bucket, "a/b c.bin", data));
        for (var i = 0; i < 10; i++)
            Assert.Equal(data, await GetAsync(client, bucket, "a/b c.bin"));
        var head = await client.GetObjectMetadataAsync(bucket, "a/b c.bin");
        Assert.Equal(data.Length, head.ContentLength);
        Assert.Equal(12, proxy.Requests.Count);
        Assert.InRange(proxy.AcceptedConnections, 1, 2); // one connection, kept alive (a second at most after the PUT)
    }

    [Fact]
    public async Task RespondRuleFiresExactlyOnTheChosenMatches()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var proxy = NewProxy();
        using var client = RawClient(proxy);
        var rule = proxy.AddRule(new FaultRule { Method = "PUT", Path = "/k2", Skip = 1, Times = 2, Status = 503, ErrorCode = "SlowDown" });
        var outcomes = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            await client.PutObjectAsync(Put(bucket, "k1", new byte[] { 1 })); // never matches
            try
            {
                await client.PutObjectAsync(Put(bucket, "k2", new byte[] { (byte)i }));
                outcomes.Add("ok");
            }
            catch (AmazonS3Exception e)
            {
                outcomes.Add($"{(int)e.StatusCode} {e.ErrorCode}");
            }
        }
        Assert.Equal(new[] { "ok", "503 SlowDown", "503 SlowDown", "ok" }, outcomes);
        Assert.Equal(4, rule.Matched);
        Assert.Equal(2, rule.Fired);
        Assert.Equal(new byte[] { 3 }, await GetAsync(client, bucket, "k2")); // the 4th went through
        Assert.Equal(4, proxy.Count("PUT", path: "/k2"));
        Assert.Equal(2, proxy.Requests.Count(r => r.Fault == FaultAction.Respond));
    }

    [Fact]
    public async Task QueryPredicatesPickOnePartOfAMultipartUpload()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var proxy = NewProxy();
        using var client = RawClient(proxy);
        var rule = proxy.AddRule(new FaultRule { Method = "PUT", Query = "partNumber=2&uploadId", Times = 1, Status = 500, ErrorCode = "InternalError" });
        var init = await client.InitiateMultipartUploadAsync(bucket, "mp");
        var part = RandomNumberGenerator.GetBytes(5 << 20);
        UploadPartRequest Part(int n) => new() { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = n, InputStream = new MemoryStream(part), UseChunkEncoding = false };
        var p1 = await client.UploadPartAsync(Part(1));
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.UploadPartAsync(Part(2)));
        Assert.Equal(HttpStatusCode.InternalServerError, e.StatusCode);
        Assert.Equal("InternalError", e.ErrorCode);
        var p2 = await client.UploadPartAsync(Part(2));
        await client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = new List<PartETag> { new(1, p1.ETag), new(2, p2.ETag) },
        });
        Assert.Equal((1, 2), (rule.Fired, rule.Matched));
        Assert.Equal(3, proxy.Count("PUT", "uploadId"));
        Assert.Equal(1, proxy.Count("POST", "uploadId")); // the complete
        Assert.Equal(2L * part.Length, (await client.GetObjectMetadataAsync(bucket, "mp")).ContentLength);
    }

    [Fact]
    public async Task CutRequestDropsTheConnectionAndTheServerKeepsNothing()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var proxy = NewProxy();
        using var client = RawClient(proxy);
        var rule = proxy.AddRule(new FaultRule { Method = "PUT", Path = "/cut", Action = FaultAction.CutRequest, Bytes = 64_000, Times = 1 });
        var e = await Assert.ThrowsAnyAsync<Exception>(() => client.PutObjectAsync(Put(bucket, "cut", RandomNumberGenerator.GetBytes(1 << 20))));
        Assert.IsNotType<AmazonS3Exception>(e); // a transport failure, no HTTP answer
        Assert.Equal((1, 1), (rule.Matched, rule.Fired));
        // A real server drops the incomplete request; s3rver keeps the bytes it got as the object. Never the whole.
        try
        {
            Assert.True((await client.GetObjectMetadataAsync(bucket, "cut")).ContentLength < 1 << 20);
        }
        catch (AmazonS3Exception missing) when (missing.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    [Fact]
    public async Task CutResponseEndsTheBodyEarly()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var proxy = NewProxy();
        using var client = RawClient(proxy);
        await client.PutObjectAsync(Put(bucket, "big", RandomNumberGenerator.GetBytes(1 << 20)));
        proxy.AddRule(new FaultRule { Method = "GET", Path = "/big", Action = FaultAction.CutResponse, Bytes = 100_000, Times = 1 });
        await Assert.ThrowsAnyAsync<Exception>(() => GetAsync(client, bucket, "big"));
        Assert.Equal(1 << 20, (await GetAsync(client, bucket, "big")).Length); // the next one is whole
    }

    [Fact]
    public async Task ForwardThenRespondAppliesTheRequestButAnswersAnError()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var proxy = NewProxy();
        using var client = RawClient(proxy);
        proxy.AddRule(new FaultRule { Method = "PUT", Action = FaultAction.ForwardThenRespond, Status = 500, ErrorCode = "InternalError", Times = 1 });
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.PutObjectAsync(Put(bucket, "applied", new byte[] { 7, 8 })));
        Assert.Equal(HttpStatusCode.InternalServerError, e.StatusCode);
        Assert.Equal(new byte[] { 7, 8 }, await GetAsync(client, bucket, "applied"));
    }

    [Fact]
    public async Task DelayHoldsTheRequest()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var proxy = NewProxy();
        using var client = RawClient(proxy);
        proxy.AddRule(new FaultRule { Method = "PUT", Action = FaultAction.Delay, DelayMs = 1500, Times = 1 });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await client.PutObjectAsync(Put(bucket, "slow", new byte[] { 1 }));
        Assert.True(watch.ElapsedMilliseconds >= 1400, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task DieRefusesConnectionsUntilStartedAgain()
    {
        var bucket = await TestServers.NewBucketAsync();
        using var proxy = NewProxy();
        using var client = RawClient(proxy);
        await client.PutObjectAsync(Put(bucket, "before", new byte[] { 1 }));
        proxy.AddRule(new FaultRule { Method = "PUT", Path = "/during", Action = FaultAction.Die });
        await Assert.ThrowsAnyAsync<Exception>(() => client.PutObjectAsync(Put(bucket, "during", new byte[] { 2 })));
        Assert.False(proxy.IsRunning);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => client.GetObjectMetadataAsync(bucket, "before"));
        Assert.IsNotType<AmazonS3Exception>(refused);
        var port = proxy.Port;
        proxy.ClearRules();
        proxy.Start();
        Assert.Equal(port, proxy.Port);
        Assert.Equal(1, (await client.GetObjectMetadataAsync(bucket, "before")).ContentLength);
    }
}
