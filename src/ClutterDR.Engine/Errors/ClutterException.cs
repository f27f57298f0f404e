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
/// The one exception type the engine throws on purpose, always for an entry of the error table
/// (<see cref="Errors"/>): ErrorId is stable (scripts match on it); the message says what went wrong and what
/// to do; Target is the offending input.
/// </summary>
public sealed class ClutterException : Exception
{
    public ClutterException(ErrorDef error, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
        Target = target;
    }

    /// <summary>The table entry: id, kind, terminating or not, and what it means.</summary>
    public ErrorDef Error { get; }
    public string ErrorId => Error.Id;
    public FailureKind Kind => Error.Kind;
    /// <summary>True when the failure makes the whole call pointless: a cmdlet stops instead of going on with the next item.</summary>
    public bool Terminating => Error.Terminating;
    public object? Target { get; }

    /// <summary>Whether this is the table entry's error (under any of its kinds).</summary>
    public bool Is(ErrorDef error) => ErrorId == error.Id;
}
