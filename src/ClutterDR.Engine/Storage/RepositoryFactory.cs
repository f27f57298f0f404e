using ClutterDR.Catalog;

namespace ClutterDR.Storage;

public static class RepositoryFactory
{
    public static IBackupRepository Open(BackupLocation location, S3Options s3, S3UploadOptions? upload = null) =>
        location.IsS3 ? new S3Repository(location, s3, upload) : new FileSystemRepository(location);
}
