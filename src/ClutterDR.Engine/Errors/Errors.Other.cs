namespace ClutterDR;

/// <summary>The error table, one area (see Errors.cs): a failure nobody foresaw.</summary>
public static partial class Errors
{
    /// <summary>
    /// Thrown by the engine as OperationFailed (a copy that failed with a foreign exception); the cmdlets report any
    /// other exception under this id as NotSpecified (ErrorRecords.Unexpected), which no FailureKind names.
    /// </summary>
    public static readonly ErrorDef UnexpectedError = new("UnexpectedError", FailureKind.OperationFailed, Terminating: false,
        "A failure ClutterDR did not foresee. Run the command again with `-Verbose`, and report the message if it persists.");
}
