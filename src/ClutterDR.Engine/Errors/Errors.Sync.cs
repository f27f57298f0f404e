namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Sync-ClutterStorage: its two sides and the items it copies.</summary>
public static partial class Errors
{
    public static readonly ErrorDef SourceNotFound = new("SourceNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "The source folder does not exist, or is a file. Check the path (relative paths start at the current PowerShell location); give a folder or `s3://bucket/prefix`.") { OtherKinds = [FailureKind.InvalidArgument] };

    public static readonly ErrorDef SyncLocationsOverlap = new("SyncLocationsOverlap", FailureKind.InvalidArgument, Terminating: false,
        "The source and the destination overlap. Give two separate folders or prefixes.");

    public static readonly ErrorDef FolderAccessDenied = new("FolderAccessDenied", FailureKind.PermissionDenied, Terminating: false,
        "A folder under the source cannot be read. Grant read access, or leave it out with `-Exclude`.");

    public static readonly ErrorDef UnsafeObjectKey = new("UnsafeObjectKey", FailureKind.InvalidData, Terminating: false,
        "A key would be written outside the destination folder (`..`, an absolute path, a drive letter, characters the file system rejects); it is skipped and the rest goes on. Rename the object, or leave it out with `-Exclude`.");

    public static readonly ErrorDef SyncItemFailed = new("SyncItemFailed", FailureKind.OperationFailed, Terminating: false,
        "One key could not be copied or deleted (after retries); the rest goes on. Act on the message (permissions, space, the server's answer) and run the sync again: it copies only what is missing.") { OtherKinds = [FailureKind.PermissionDenied] };
}
