namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). S3: the endpoint, the credentials and what the server answers.</summary>
public static partial class Errors
{
    public static readonly ErrorDef S3AccessDenied = new("S3AccessDenied", FailureKind.PermissionDenied, Terminating: false,
        "S3 refused the access key (unknown key, bad signature) or its permissions on the bucket. Check `-S3Credential`, `-ProfileName` or the `AWS_*` variables, and the key's policy on the bucket.");

    public static readonly ErrorDef S3CredentialsNotFound = new("S3CredentialsNotFound", FailureKind.AuthenticationError, Terminating: false,
        "No S3 credentials were given and the AWS default chain found none. Pass `-S3Credential` (access key id and secret), `-ProfileName`, or set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.");

    public static readonly ErrorDef S3Unreachable = new("S3Unreachable", FailureKind.ConnectionError, Terminating: false,
        "The S3 endpoint cannot be reached. Check `-EndpointUrl` (or `AWS_ENDPOINT_URL_S3`), the network and `-Region`.");

    public static readonly ErrorDef S3RequestFailed = new("S3RequestFailed", FailureKind.OperationFailed, Terminating: false,
        "Another S3 error; the message gives the server's code and text. Check `-EndpointUrl` and `-Region`, then act on the server's message.");

    public static readonly ErrorDef StorageClassRejected = new("StorageClassRejected", FailureKind.InvalidArgument, Terminating: true,
        "The endpoint refuses `-StorageClass` (Supabase Storage, Ceph RGW's `InvalidArgument`); nothing is left behind. Leave `-StorageClass` out for that endpoint, or give a class it supports.");

    public static readonly ErrorDef ProfileNotFound = new("ProfileNotFound", FailureKind.ObjectNotFound, Terminating: true,
        "The AWS profile named by `-ProfileName` is in neither the shared credentials nor the config file. Create it (`aws configure --profile NAME`) or pass `-S3Credential`.");
}
