using System.Management.Automation;

namespace ClutterDR.Commands;

/// <summary>The one mapping from engine failures to PowerShell ErrorRecords.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(ClutterException e) =>
        new(e, e.ErrorId, Category(e.Kind), e.Target) { ErrorDetails = new ErrorDetails(e.Message) };

    public static ErrorRecord Unexpected(Exception e, object? target)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerException! : e;
        if (inner is ClutterException ce) return From(ce);
        var message = $"ClutterDR failed unexpectedly: {inner.GetType().Name}: {inner.Message}. Run again with -Verbose; if it persists, report it with this message.";
        return new ErrorRecord(new InvalidOperationException(message, inner), Errors.UnexpectedError.Id, ErrorCategory.NotSpecified, target)
        {
            ErrorDetails = new ErrorDetails(message),
        };
    }

    public static ErrorCategory Category(FailureKind kind) => kind switch
    {
        FailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FailureKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        FailureKind.ConnectionError => ErrorCategory.ConnectionError,
        FailureKind.AuthenticationError => ErrorCategory.AuthenticationError,
        FailureKind.PermissionDenied => ErrorCategory.PermissionDenied,
        FailureKind.InvalidData => ErrorCategory.InvalidData,
        FailureKind.ResourceExists => ErrorCategory.ResourceExists,
        FailureKind.NotInstalled => ErrorCategory.NotInstalled,
        FailureKind.OperationStopped => ErrorCategory.OperationStopped,
        FailureKind.LimitsExceeded => ErrorCategory.LimitsExceeded,
        FailureKind.WriteError => ErrorCategory.WriteError,
        _ => ErrorCategory.InvalidOperation,
    };
}
