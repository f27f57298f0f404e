namespace ClutterDR;

/// <summary>
/// One ErrorId of the error table (<see cref="Errors"/>): the stable id scripts match on, its failure kind (the
/// cmdlets' ErrorCategory), whether it stops the pipeline (the whole call is pointless) or is reported per item,
/// and one line of what it means and what to do. Thrown as <c>new ClutterException(Errors.BackupNotFound, message, target)</c>.
/// </summary>
public sealed record ErrorDef(string Id, FailureKind Kind, bool Terminating, string Meaning)
{
    /// <summary>
    /// Other kinds the same id is raised with at some sites (a wrong passphrase is an AuthenticationError, a damaged
    /// MDC InvalidData; both DecryptionFailed). A site picks one with <see cref="As"/>.
    /// </summary>
    public IReadOnlyList<FailureKind> OtherKinds { get; init; } = [];

    /// <summary>The same id under another of its kinds (one of <see cref="OtherKinds"/>).</summary>
    public ErrorDef As(FailureKind kind) =>
        kind == Kind ? this
        : OtherKinds.Contains(kind) ? this with { Kind = kind }
        : throw new ArgumentException($"{Id} is not raised as {kind}: its table entry allows {string.Join(", ", OtherKinds.Prepend(Kind))}.", nameof(kind));

    public override string ToString() => Id;
}
