namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Wrong or conflicting parameters, caught before any work starts.</summary>
public static partial class Errors
{
    public static readonly ErrorDef InvalidConnectionString = new("InvalidConnectionString", FailureKind.InvalidArgument, Terminating: true,
        "The connection string is neither a valid `postgresql://` URI nor an Npgsql keyword string (a bad port, an unknown keyword, an unclosed quote). Use `postgresql://user:password@host:port/database?sslmode=require` (percent-encode special characters of the password) or `Host=...;Database=...;Username=...`.");

    public static readonly ErrorDef InvalidLocation = new("InvalidLocation", FailureKind.InvalidArgument, Terminating: true,
        "The location is empty, uses a scheme other than `s3://`, names an invalid bucket, or is not the location of one backup where one is needed. Give a folder path or `s3://bucket/prefix`; to restore or test one backup, give its data object (`.dump.zst`, `.sql.gz`, ...) or pipe it from `Get-ClutterBackup`.");

    public static readonly ErrorDef InvalidEndpointUrl = new("InvalidEndpointUrl", FailureKind.InvalidArgument, Terminating: true,
        "`-EndpointUrl` (or `AWS_ENDPOINT_URL_S3`) is not an http(s) URL. Give it as `https://host[:port][/path]`.");

    public static readonly ErrorDef InvalidCompressionLevel = new("InvalidCompressionLevel", FailureKind.InvalidArgument, Terminating: true,
        "`-CompressionLevel` does not fit `-Compression` (zstd 1-19, gzip 1-9, `None` takes no level). Give a level in range, or leave it out for the default.");

    public static readonly ErrorDef InvalidMaxAge = new("InvalidMaxAge", FailureKind.InvalidArgument, Terminating: false,
        "`-MaxAge` of `Test-ClutterBackupAge` is zero or negative. Give a positive age: `48:00:00`, `'36h'`, `'2d'` or a TimeSpan.");

    public static readonly ErrorDef InvalidTablePattern = new("InvalidTablePattern", FailureKind.InvalidArgument, Terminating: false,
        "A `-Table` or `-ExcludeTable` pattern is malformed, such as an unclosed double quote. Use `name`, `schema.name`, wildcards `*` and `?`, and double quotes for mixed-case names (`'\"My Table\"'`).");

    public static readonly ErrorDef InvalidThrottleLimit = new("InvalidThrottleLimit", FailureKind.InvalidArgument, Terminating: false,
        "`-ThrottleLimit` of `Sync-ClutterStorage` is less than 1. Give 1 or more (default 8).");

    public static readonly ErrorDef ConflictingCompareModes = new("ConflictingCompareModes", FailureKind.InvalidArgument, Terminating: false,
        "`-Checksum` and `-SizeOnly` were both given to `Sync-ClutterStorage`. Give one of them, or neither (size plus modification time).");

    public static readonly ErrorDef AmbiguousDestination = new("AmbiguousDestination", FailureKind.InvalidArgument, Terminating: false,
        "A `-Destination` with wildcards matches several folders. Give the path of one folder.");
}
