using System.Net;
using Amazon.Runtime;
using Amazon.S3;

namespace ClutterDR.Storage;

/// <summary>Turns AWS SDK failures into ClutterExceptions that say what to do.</summary>
internal static class S3Errors
{
    /// <param name="storageClass">The storage class the failed request carried, if any: lets an
    /// InvalidArgument answer be read as a refusal of that class (see <see cref="IsStorageClassRefusal"/>).</param>
    public static Exception Map(Exception e, string location, bool forWrite, string? storageClass = null)
    {
        if (e is ClutterException or OperationCanceledException) return e;
        switch (e)
        {
            case AmazonS3Exception s3 when s3.ErrorCode == "NoSuchBucket":
                return new ClutterException(forWrite ? Errors.DestinationNotFound : Errors.LocationNotFound,
                    $"The S3 bucket of '{location}' does not exist on this endpoint. Create it first (aws s3 mb), or check the bucket name, -EndpointUrl and -Region.",
                    location, e);
            case AmazonS3Exception s3 when s3.ErrorCode is "AccessDenied" or "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AllAccessDisabled"
                                           || s3.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized:
                return new ClutterException(Errors.S3AccessDenied,
                    $"S3 refused access to '{location}' ({s3.ErrorCode ?? s3.StatusCode.ToString()}: {s3.Message}). Check the access key (-S3Credential, -ProfileName or AWS_* variables) and its permissions on the bucket.",
                    location, e);
            case AmazonS3Exception s3 when IsStorageClassRefusal(s3, storageClass):
                return new ClutterException(Errors.StorageClassRejected,
                    $"The S3 endpoint rejected the storage class{(string.IsNullOrEmpty(storageClass) ? "" : $" '{storageClass}'")} for '{location}' ({s3.ErrorCode ?? s3.StatusCode.ToString()}{(string.IsNullOrWhiteSpace(s3.Message) ? "" : ": " + s3.Message.TrimEnd('.'))}). Leave out -StorageClass, or give a class this endpoint offers (Supabase Storage, Ceph RGW and many S3-compatible servers only know STANDARD unless configured).",
                    location, e);
            case AmazonS3Exception s3:
                return new ClutterException(Errors.S3RequestFailed,
                    $"An S3 request for '{location}' failed: {s3.ErrorCode ?? s3.StatusCode.ToString()}: {s3.Message}",
                    location, e);
            case AmazonClientException when e.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase):
                return new ClutterException(Errors.S3CredentialsNotFound,
                    $"No AWS credentials were found for '{location}'. Pass -S3Credential (access key id and secret), -ProfileName, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
                    location, e);
            case HttpRequestException or AmazonServiceException or System.Net.Sockets.SocketException or AmazonClientException
                 or HttpIOException or IOException { InnerException: System.Net.Sockets.SocketException }:
                return new ClutterException(Errors.S3Unreachable,
                    $"The S3 endpoint for '{location}' could not be reached: {e.Message} Check -EndpointUrl (or AWS_ENDPOINT_URL_S3), the network and the region.",
                    location, e);
            default:
                return e;
        }
    }

    /// <summary>
    /// Whether S3 refused the storage class of a request: InvalidStorageClass (Amazon S3, s3rver), an
    /// error that names the storage class, or InvalidArgument to a request that asked for a class other
    /// than STANDARD (Ceph RGW without that class answers 400 InvalidArgument with an empty message).
    /// InvalidArgument alone is not enough: S3 uses it for any bad argument.
    /// </summary>
    internal static bool IsStorageClassRefusal(AmazonS3Exception s3, string? requestedStorageClass)
    {
        if (s3.ErrorCode is "InvalidStorageClass") return true;
        if (NamesStorageClass(s3.Message) || NamesStorageClass(s3.ResponseBody)) return true;
        return s3.ErrorCode is "InvalidArgument" && StorageClasses.IsNonStandard(requestedStorageClass);

        static bool NamesStorageClass(string? text) =>
            !string.IsNullOrEmpty(text)
            && (text.Contains("storage class", StringComparison.OrdinalIgnoreCase) || text.Contains("storage-class", StringComparison.OrdinalIgnoreCase)
                || text.Contains("storageclass", StringComparison.OrdinalIgnoreCase));
    }
}
