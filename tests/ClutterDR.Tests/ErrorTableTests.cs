using System.Reflection;
using System.Text.RegularExpressions;

namespace ClutterDR.Tests;

/// <summary>
/// The error table (src/ClutterDR.Engine/Errors/): one entry per id, each with a meaning line, and the only way the
/// sources raise an error (no string id left at a throw site). Pure: reads the table and the source files.
/// </summary>
public class ErrorTableTests
{
    private static IEnumerable<(string Path, string Text)> SourceFiles(string under) => SourceTree.Files(under);

    /// <summary>The table's own files (their entries are built from ids, as they must be).</summary>
    private static bool InTable(string path) => path.Replace('\\', '/').StartsWith("src/ClutterDR.Engine/Errors/", StringComparison.Ordinal);

    [Fact]
    public void EveryIdIsInTheTableOnceWithItsMeaning()
    {
        var fields = typeof(Errors).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(ErrorDef)).ToList();
        Assert.True(Errors.All.Count >= 80, $"the table has {Errors.All.Count} entries");
        Assert.Equal(fields.Count, Errors.All.Count);
        Assert.Empty(Errors.All.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => g.Key));
        foreach (var f in fields)
        {
            var e = (ErrorDef)f.GetValue(null)!;
            Assert.Equal(f.Name, e.Id); // Errors.BackupNotFound is "BackupNotFound"
            Assert.Matches("^[A-Z][A-Za-z0-9]+$", e.Id);
            Assert.False(string.IsNullOrWhiteSpace(e.Meaning), $"{e.Id} has no meaning line");
            Assert.DoesNotContain('\n', e.Meaning);
            Assert.True(e.Meaning.Length >= 20, $"{e.Id}: '{e.Meaning}' says too little");
            Assert.DoesNotContain(e.Kind, e.OtherKinds);
            Assert.Same(e, Errors.Find(e.Id));
        }
        Assert.Null(Errors.Find("NoSuchError"));
    }

    [Fact]
    public void TheTerminatingIdsAreTheOnesThatStopThePipeline()
    {
        // The set AsyncCmdlet held before the table: these stop the pipeline, every other id is reported per item.
        var stops = new[]
        {
            "PgToolNotFound", "PgToolTooOld", "InvalidConnectionString", "InvalidLocation", "InvalidEndpointUrl", "InvalidCompressionLevel", "ProfileNotFound",
            "KeyNotFound", "KeyNotReadable", "InvalidKey", "NoEncryptionKey", "PassphraseEmpty", "ConfirmationRequired", "StorageClassRejected",
            "RetentionKeepsNothing", "RetentionParameterConflict",
            "PlanNotFound", "PlanUnknownJob", "PlanFailed", "PlanStopped", "ScheduleExportUnsafePath",
            // The audit trail, notifications and configuration backups (issue 15): a call that cannot do anything.
            "AuditLogNotFound", "AuditTableIncompatible", "RunStopped", "NotificationUriInvalid", "ConfigSecretsNeedEncryption", "NothingToBackUpConfig",
        };
        Assert.Equal(stops.Order(StringComparer.Ordinal), Errors.All.Where(e => e.Terminating).Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.True(new ClutterException(Errors.PgToolNotFound, "m").Terminating);
        Assert.False(new ClutterException(Errors.BackupNotFound, "m").Terminating);
    }

    [Fact]
    public void AnotherKindOfAnIdIsOneItsEntryAllows()
    {
        var passphrase = new ClutterException(Errors.DecryptionFailed.As(FailureKind.AuthenticationError), "wrong", "t");
        Assert.Equal("DecryptionFailed", passphrase.ErrorId);
        Assert.Equal(FailureKind.AuthenticationError, passphrase.Kind);
        Assert.Equal(FailureKind.InvalidData, new ClutterException(Errors.DecryptionFailed, "damaged").Kind);
        Assert.Same(Errors.DecryptionFailed, Errors.DecryptionFailed.As(FailureKind.InvalidData));
        Assert.Throws<ArgumentException>(() => Errors.BackupNotFound.As(FailureKind.InvalidData));
    }

    [Fact]
    public void NoSourceRaisesAnErrorFromAStringId()
    {
        var oldForm = new Regex(@"\bnew\s+ClutterException\s*\(\s*[@$]*""|\bnew\s*(ClutterException\s*)?\(\s*[^,()]+,\s*FailureKind\.");
        var left = SourceFiles("src").Where(f => !InTable(f.Path))
            .SelectMany(f => oldForm.Matches(f.Text).Select(m => $"{f.Path}:{f.Text[..m.Index].Count(c => c == '\n') + 1}"))
            .ToList();
        Assert.True(left.Count == 0, "raise errors through the table (new ClutterException(Errors.X, ...)); run tools/Convert-ErrorSites.py: " + string.Join(", ", left));
        Assert.Contains(SourceFiles("src"), f => f.Text.Contains("new ClutterException(Errors.", StringComparison.Ordinal)); // the search itself works
    }

    [Fact]
    public void EveryEntryOfTheTableIsRaisedSomewhere()
    {
        var code = string.Join("\n", SourceFiles("src").Where(f => !InTable(f.Path)).Select(f => f.Text));
        var unused = Errors.All.Where(e => !Regex.IsMatch(code, $@"\bErrors\.{e.Id}\b")).Select(e => e.Id).ToList();
        Assert.True(unused.Count == 0, "table entries no source raises (remove them, and their rows in the docs): " + string.Join(", ", unused));
    }

    [Fact]
    public void NoSiteComparesAnErrorIdWithAString()
    {
        // e.Is(Errors.X), so that a renamed or misspelt id fails to build instead of silently never matching.
        var compare = new Regex(@"\bErrorId\s*(==|!=|is)\s*(not\s+)?""|\bErrorId\s*=\s*""");
        var left = SourceFiles("src").Where(f => !InTable(f.Path) && compare.IsMatch(f.Text)).Select(f => f.Path).ToList();
        Assert.True(left.Count == 0, "ErrorIds compared with strings in: " + string.Join(", ", left));
        Assert.Matches(compare, "when (e.ErrorId == \"X\")"); // the pattern itself finds the old form
    }
}
