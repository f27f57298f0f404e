using System.Net;
using System.Net.Http;
using Amazon.Runtime;

namespace ClutterDR.Storage;

/// <summary>
/// The HTTP layer under every S3 client: the SDK's own SocketsHttpHandler settings, but no
/// <c>Expect: 100-continue</c>, and API answers read whole before the SDK sees them.
/// <para>
/// The SDK asks for 100-continue on PutObject and UploadPart; servers that answer such a request early (Ceph
/// RGW refuses an unknown storage class from the headers, 400) then neither read nor discard the body, expecting the client not to send it, while .NET sends a body of up to 1 KiB anyway and,
/// on a larger one, may already have started sending it after its 1 s Expect100ContinueTimeout. Either way the
/// unread body stays on the pooled connection and the server reads it as the start of the next request
/// (<c>helloGET /...</c> answered 405), so a later, unrelated call fails. Without the expectation a refused
/// request's body is sent whole and the server discards it before reading the next request.
/// </para>
/// <para>
/// Every S3 API answer (XML, errors, empty bodies) is read to its end here, before the SDK sees it. The SDK
/// unmarshals such a body with synchronous reads and, for the caller's CancellationToken, registers a callback that
/// disposes the response. A stop while it reads (a Sync stopped by Select-Object -First, Ctrl+C) then disposes
/// .NET's response stream concurrently with the read: the dispose starts a drain, a second read on the socket; the
/// first read completes the body and returns the connection to the pool; the next request on it (the
/// AbortMultipartUpload of that very stop) has its answer taken by the drain, which then fails, and waits for
/// an answer that already came until its timeout. A buffered body leaves nothing on the connection to race over.
/// Object bodies (GetObject) still stream: the SDK does not read them, we do, one read at a time.
/// </para>
/// </summary>
internal static class S3Http
{
    /// <summary>The longest a cleanup call (AbortMultipartUpload of a stopped or failed upload) may hold up a stop.</summary>
    public static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(3);

    public static void Configure(ClientConfig config) => config.HttpClientFactory = Factory.Instance;

    /// <summary>
    /// A call that creates something on the server which only its answer lets us clean up (the upload id of
    /// InitiateMultipartUpload): a stop does not cut it off mid-answer, it gets <see cref="CleanupTimeout"/> more to finish.
    /// The caller checks <paramref name="cancellationToken"/> afterwards.
    /// </summary>
    public static async Task<T> WithGraceAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested(); // not started yet: nothing to clean up
        using var grace = new CancellationTokenSource();
        using var stop = cancellationToken.Register(static s => ((CancellationTokenSource)s!).CancelAfter(CleanupTimeout), grace);
        return await call(grace.Token).ConfigureAwait(false);
    }

    private sealed class Factory : HttpClientFactory
    {
        public static readonly Factory Instance = new();

        public override HttpClient CreateHttpClient(IClientConfig clientConfig)
        {
            // What the SDK's own factory builds on net8.0 (HttpRequestMessageFactory.CreateManagedHttpClient).
            var handler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                AllowAutoRedirect = clientConfig.AllowAutoRedirect,
                AutomaticDecompression = DecompressionMethods.None,
            };
            if (clientConfig.ConnectTimeout is TimeSpan connect) handler.ConnectTimeout = connect;
            if (clientConfig.MaxConnectionsPerServer is int max) handler.MaxConnectionsPerServer = max;
            var proxy = clientConfig.GetWebProxy();
            if (proxy is not null)
            {
                handler.Proxy = proxy;
                if (clientConfig.ProxyCredentials is not null) proxy.Credentials = clientConfig.ProxyCredentials;
            }
            var client = new HttpClient(new SafeS3Requests(handler));
            if (clientConfig.Timeout is TimeSpan timeout) client.Timeout = timeout;
            return client;
        }

        // Share HttpClients between S3 clients of the same settings, as the SDK does without a factory
        // (null, and so one cache per S3 client, when a proxy is set: it cannot be part of the key).
        public override string? GetConfigUniqueString(IClientConfig clientConfig) =>
            clientConfig.GetWebProxy() is not null || clientConfig.ProxyCredentials is not null
                ? null
                : $"ClutterDR.S3Http|{clientConfig.AllowAutoRedirect}|{clientConfig.HttpClientCacheSize}|{clientConfig.Timeout}|{clientConfig.MaxConnectionsPerServer}|{clientConfig.ConnectTimeout}";
    }

    /// <summary>Whether a response is an S3 API answer the SDK reads whole (buffer it), not an object's body (stream it).</summary>
    internal static bool IsApiAnswer(HttpMethod method, HttpResponseMessage response)
    {
        if (method == HttpMethod.Head || response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotModified)
            return false; // no body: nothing left on the connection (and HEAD's Content-Length is the object's size)
        if (method != HttpMethod.Get || !response.IsSuccessStatusCode) return true; // errors, PUT/POST/DELETE answers
        var length = response.Content.Headers.ContentLength;
        if (length is <= SmallBody) return true;
        // Listings and other GET subresources are XML (RGW sends them chunked); an object's body rarely is.
        return response.Content.Headers.ContentType?.MediaType is "application/xml" or "text/xml" && length is null or <= MaxXmlBody;
    }

    private const long SmallBody = 64 << 10;
    private const long MaxXmlBody = 16 << 20;

    private sealed class SafeS3Requests(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.ExpectContinue = false;
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (IsApiAnswer(request.Method, response))
            {
                try
                {
                    var body = new MemoryStream();
                    await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
                        await stream.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
                    Buffered(response, body);
                }
                catch
                {
                    response.Dispose();
                    throw;
                }
            }
            return response;
        }

        /// <summary>
        /// The synchronous path, which the SDK does not take (its calls are all async): the same handling, so that
        /// one code path decides what is buffered.
        /// </summary>
        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
            SendAsync(request, cancellationToken).GetAwaiter().GetResult();

        /// <summary>The response, its connection already released, with the body it had, in memory.</summary>
        private static void Buffered(HttpResponseMessage response, MemoryStream body)
        {
            var original = response.Content;
            var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
            foreach (var header in original.Headers)
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            response.Content = content;
            original.Dispose();
        }
    }
}
