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
        // Synchronous reads on a dedicated thread: async reads of a pipe complete in small pieces, each
        // with a thread-pool hop, and cost about 20 times the CPU of blocking reads (measured: 1.5 s
        // against 0.07 s for a 94 MB dump).
        var reader = Task.Factory.StartNew(() =>
        {
            try
            {
                while (!readerStop.IsCancellationRequested)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                    var filled = 0;
                    // Fill most of a buffer before handing it on: fewer, larger writes downstream.
                    while (filled < BufferSize / 2)
                    {
                        var n = source.Read(buffer, filled, BufferSize - filled);
                        if (n == 0) break;
                        filled += n;
                    }
                    if (filled == 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        break;
                    }
                    if (!channel.Writer.TryWrite((buffer, filled)))
                        channel.Writer.WriteAsync((buffer, filled), readerStop.Token).AsTask().GetAwaiter().GetResult();
                }
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

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
            // A reader blocked in Read ends at the next chunk or when the source closes (on failure the
            // caller kills the producer); never hang here on a stalled source.
            await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
            while (channel.Reader.TryRead(out var left)) ArrayPool<byte>.Shared.Return(left.Buffer);
        }
        return total;
    }
}
