using ClutterDR.Catalog;

namespace ClutterDR.Storage;

/// <summary>The one place that opens a store for a location and its S3 options.</summary>
public static class ObjectStores
{
    /// <param name="upload">Part sizes of streamed S3 writes.</param>
    /// <param name="requestTimeout">Each S3 request's timeout (tab completion: a short one).</param>
    /// <param name="maxConnections">Connections to the S3 server at once (parallel transfers).</param>
    /// <param name="shareClientWith">An S3 store of the same options whose client this one uses too (server-side copies between them).</param>
    /// <param name="folder">How a folder store treats its folders.</param>
    public static IObjectStore Open(BackupLocation location, S3Options s3, S3UploadOptions? upload = null, TimeSpan? requestTimeout = null,
        int? maxConnections = null, IObjectStore? shareClientWith = null, FolderStoreOptions? folder = null)
    {
        if (!location.IsS3) return new FolderObjectStore(location, folder);
        if (shareClientWith is S3ObjectStore other && other.Options == s3) return other.At(location, upload);
        return new S3ObjectStore(location, s3, upload, requestTimeout, maxConnections);
    }
}
