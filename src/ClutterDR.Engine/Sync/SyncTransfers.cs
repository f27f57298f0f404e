using ClutterDR.Catalog;
using ClutterDR.Storage;

namespace ClutterDR.Sync;

/// <summary>
/// One item's transfer between the two stores: a server-side copy where the destination can copy from the
/// source (falling back to streaming, with one warning, where the endpoint refuses it), else the source
/// read once and written to the destination: a single PUT under the multipart threshold, else a streamed
/// write (for a folder always its atomic writer, with the source's modification time).
/// </summary>
public sealed partial class SyncService
{
    private const int FolderCopyBuffer = 1 << 16;
    private const int UploadCopyBuffer = 1 << 20;

    private async Task TransferAsync(SyncPlanItem item, SyncSide source, SyncSide destination, SyncRequest request, CancellationToken ct)
    {
        var storageClass = StorageClassOf(request, item.Key);
        if (destination.Store.CanCopyFrom(source.Store) && item.Size <= MaxCopyObjectSize && _serverCopyRefused == 0)
        {
            try
            {
                await destination.Store.CopyAsync(source.Store, item.Key, item.Key, new WriteOptions { StorageClass = storageClass }, ct).ConfigureAwait(false);
                return;
            }
            catch (CopyRefusedException e)
            {
                // Both buckets were just listed, so the endpoint does not understand the copy request: stream through this process instead.
                if (Interlocked.Exchange(ref _serverCopyRefused, 1) == 0)
                    _sink.Warning($"The S3 endpoint refused a server-side copy ({e.Message}); copying through this machine instead.");
            }
        }
        await using var input = await source.Store.OpenReadAsync(item.Key, ct).ConfigureAwait(false);
        var stat = input.Stat;
        var modified = SyncSide.ModifiedOf(stat, item.Source!);
        var length = input.Length;
        var options = new WriteOptions
        {
            StorageClass = storageClass,
            ContentType = string.IsNullOrEmpty(stat.ContentType) ? ContentTypes.Of(item.Key) : stat.ContentType,
            Metadata = destination.KeepsTimeInMetadata ? new Dictionary<string, string> { [SyncEntry.MtimeMetadata] = SyncEntry.FormatMtime(modified) } : null,
            ModifiedUtc = modified,
            ExpectedSize = length,
        };
        if (!destination.IsFolder && length < request.MultipartThreshold)
        {
            Stream body = input;
            if (!input.CanSeek)
            {
                // PutObject needs a length it can trust: a small object from another bucket is read first.
                var buffer = new byte[length];
                await input.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
                body = new MemoryStream(buffer, writable: false);
            }
            await destination.Store.PutAsync(item.Key, body, options, ct).ConfigureAwait(false);
            return;
        }
        await using var writer = await destination.Store.CreateWriteAsync(item.Key, options, ct).ConfigureAwait(false);
        await input.CopyToAsync(writer.Stream, destination.IsFolder ? FolderCopyBuffer : UploadCopyBuffer, ct).ConfigureAwait(false);
        if (writer.BytesWritten != length)
            throw new IOException($"the transfer ended after {writer.BytesWritten:N0} of {length:N0} bytes");
        await writer.CompleteAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The class an object is written in: -StorageClass, except that backup manifests stay readable (<see cref="StorageClasses.ForManifest"/>).</summary>
    private static string? StorageClassOf(SyncRequest request, string key) =>
        key.EndsWith(BackupName.ManifestSuffix, StringComparison.Ordinal) ? StorageClasses.ForManifest(request.StorageClass) : request.StorageClass;
}
