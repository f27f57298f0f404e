namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs). Protect-ClutterFile and Unprotect-ClutterFile: the input and output files.</summary>
public static partial class Errors
{
    public static readonly ErrorDef FileNotFound = new("FileNotFound", FailureKind.ObjectNotFound, Terminating: false,
        "The input file does not exist, or `-Path` matches no file. Check the path.");

    public static readonly ErrorDef FileNotReadable = new("FileNotReadable", FailureKind.PermissionDenied, Terminating: false,
        "The input file cannot be read. Fix its permissions.");

    public static readonly ErrorDef DestinationExists = new("DestinationExists", FailureKind.ResourceExists, Terminating: false,
        "The output file already exists, or is a folder. Add `-Force` to overwrite it, or give another `-Destination`.");

    public static readonly ErrorDef DestinationRequired = new("DestinationRequired", FailureKind.InvalidArgument, Terminating: false,
        "The input has no `.gpg`, `.pgp` or `.asc` extension to remove, so there is no default output name. Give `-Destination`.");
}
