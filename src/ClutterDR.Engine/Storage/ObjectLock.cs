using Amazon.S3;

namespace ClutterDR.Storage;

/// <summary>S3 Object Lock retention modes: Governance can be lifted by whoever holds s3:BypassGovernanceRetention; Compliance by no one.</summary>
public enum RetentionMode { Governance, Compliance }

/// <summary>
/// S3 Object Lock retention for every object a backup writes (its data object and its manifest): until
/// RetainUntilUtc neither can be deleted or overwritten, whoever holds the backup host's keys.
/// </summary>
public sealed record ObjectLock(RetentionMode Mode, DateTime RetainUntilUtc)
{
    /// <summary>A retention that ends in the future, or a clear error.</summary>
    public static ObjectLock Create(RetentionMode mode, DateTime retainUntil, DateTime nowUtc)
    {
        var until = retainUntil.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(retainUntil, DateTimeKind.Local).ToUniversalTime() : retainUntil.ToUniversalTime();
        if (until <= nowUtc)
            throw new ClutterException(Errors.RetainUntilInPast,
                $"-RetainUntil {until:yyyy-MM-dd HH:mm:ss}Z is not in the future (now is {nowUtc:yyyy-MM-dd HH:mm:ss}Z). Give the date until which the backup must not be deleted, e.g. (Get-Date).AddDays(30).",
                retainUntil);
        // S3 keeps retention dates to the second: round up, so the lock never ends before the date asked for.
        var ticks = until.Ticks % TimeSpan.TicksPerSecond;
        if (ticks != 0) until = until.AddTicks(TimeSpan.TicksPerSecond - ticks);
        return new ObjectLock(mode, until);
    }

    internal ObjectLockMode S3Mode => Mode == RetentionMode.Compliance ? ObjectLockMode.Compliance : ObjectLockMode.Governance;
}
