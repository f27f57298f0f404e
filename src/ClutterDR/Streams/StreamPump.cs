using System.Buffers;
using System.Threading.Channels;

namespace ClutterDR.Streams;

/// <summary>
/// Copies a stream to another with a bounded read-ahead: one task reads the source into a few pooled
/// buffers while the caller's side writes (compresses, hashes, uploads) the previous ones. So a slow
/// writer never stalls the producer (pg_dump) for longer than the read-ahead allows, and memory stays
/// at buffers x buffer size whatever the stream's length.
/// </summary>
public static class StreamPump
{
    public const int BufferSize = 1 << 20;
    public const int ReadAhead = 8;

    /// <returns>Bytes copied.</returns>
    public static async Task<long> CopyAsync(Stream source, Stream destination, Action<long>? onProgress, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<(byte[] Buffer, int Length)>(new BoundedChannelOptions(ReadAhead)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                    var filled = 0;
                    // Fill most of a buffer before handing it on: fewer, larger writes downstream.
                    while (filled < BufferSize)
                    {
                        var n = await source.ReadAsync(buffer.AsMemory(filled, BufferSize - filled), readerStop.Token).ConfigureAwait(false);
                        if (n == 0) break;
                        filled += n;
                        if (filled >= BufferSize / 2) break;
                    }
                    if (filled == 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        break;
                    }
                    await channel.Writer.WriteAsync((buffer, filled), readerStop.Token).ConfigureAwait(false);
                }
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None);

        long total = 0;
        try
        {
            await foreach (var (buffer, length) in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await destination.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                total += length;
                onProgress?.Invoke(total);
            }
        }
        finally
        {
            readerStop.Cancel();
            try { await reader.ConfigureAwait(false); } catch { /* its error, if any, surfaced through the channel */ }
            while (channel.Reader.TryRead(out var left)) ArrayPool<byte>.Shared.Return(left.Buffer);
        }
        return total;
    }
}
