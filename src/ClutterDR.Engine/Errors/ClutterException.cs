namespace ClutterDR;

/// <summary>What kind of failure an engine error is; the cmdlet layer maps it to an ErrorCategory.</summary>
public enum FailureKind
{
    InvalidArgument,
    ObjectNotFound,
    ConnectionError,
    AuthenticationError,
    PermissionDenied,
    InvalidData,
    ResourceExists,
    NotInstalled,
    OperationFailed,
    OperationStopped,
    LimitsExceeded,
    /// <summary>A destination could not be written (a full disk, an I/O error).</summary>
    WriteError,
}

/// <summary>
/// The one exception type the engine throws on purpose. ErrorId is stable (scripts match on it);
/// the message says what went wrong and what to do; Target is the offending input.
/// </summary>
public sealed class ClutterException : Exception
{
    public ClutterException(string errorId, FailureKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public string ErrorId { get; }
    public FailureKind Kind { get; }
    public object? Target { get; }
}
