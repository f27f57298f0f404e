using System.Reflection;

namespace ClutterDR;

/// <summary>
/// The error table: every ErrorId ClutterDR raises, one <see cref="ErrorDef"/> each, in partial files by area
/// (Errors.Input.cs, Errors.Backup.cs, ...). The engine and the cmdlets name errors only through it; README's
/// "## Errors", about_ClutterDR's error list and docs/errors.md are checked against <see cref="All"/> by a test.
/// </summary>
public static partial class Errors
{
    private static IReadOnlyList<ErrorDef>? s_all;

    /// <summary>Every entry of the table, in the order of the files' fields.</summary>
    // Collected on first use, not in a field initializer: the partial files' fields are all set by then.
    public static IReadOnlyList<ErrorDef> All => s_all ??= typeof(Errors)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ErrorDef))
        .Select(f => (ErrorDef)f.GetValue(null)!)
        .ToArray();

    /// <summary>The entry of an id, or null when the table has none.</summary>
    public static ErrorDef? Find(string id) => All.FirstOrDefault(e => string.Equals(e.Id, id, StringComparison.Ordinal));
}
