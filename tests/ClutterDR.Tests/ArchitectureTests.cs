using System.Text.RegularExpressions;

namespace ClutterDR.Tests;

/// <summary>
/// The rules of docs/architecture.md, read from the sources: the engine knows no PowerShell, SDK types stay in
/// their folder, the folders' layers point one way, no source file grows past 300 lines. Pure: reads files.
/// </summary>
public class ArchitectureTests
{
    private const string Engine = "src/ClutterDR.Engine/";

    /// <summary>The engine's folders, lowest first: a folder may use its own layer and those below, never one above.</summary>
    private static readonly string[][] Layers =
    [
        ["Common", "Errors", "Model"],
        ["Catalog", "Streams", "Crypto"],
        ["Storage", "Database"],
        ["Repository"],
        ["Backup", "Restore", "Verify", "Sync", "Completion", "Protect", "Audit", "Notify", "Config"],
    ];

    private static int LayerOf(string folder) => Array.FindIndex(Layers, l => l.Contains(folder));

    private static string FolderOf(string path) => path[Engine.Length..].Split('/')[0];

    private static IEnumerable<(string Path, string Text)> EngineFiles() =>
        SourceTree.Files(Engine).Where(f => f.Path.Count(c => c == '/') > 2); // files in a folder of the engine

    /// <summary>The text without comments, so that a doc comment naming a type does not count as a use.</summary>
    private static string Code(string text) => Regex.Replace(text, @"//[^\n]*|/\*.*?\*/", "", RegexOptions.Singleline);

    [Fact]
    public void EveryEngineFolderIsInALayer()
    {
        var folders = EngineFiles().Select(f => FolderOf(f.Path)).Distinct().ToList();
        Assert.NotEmpty(folders);
        Assert.All(folders, f => Assert.True(LayerOf(f) >= 0, $"{Engine}{f}/ is in no layer of ArchitectureTests (and docs/architecture.md)."));
    }

    [Fact]
    public void NoFolderUsesALayerAboveIt()
    {
        var wrong = new List<string>();
        foreach (var (path, text) in EngineFiles())
        {
            var layer = LayerOf(FolderOf(path));
            foreach (Match m in Regex.Matches(Code(text), @"\bClutterDR\.(\w+)\b"))
            {
                var used = LayerOf(m.Groups[1].Value);
                if (used > layer) wrong.Add($"{path} uses ClutterDR.{m.Groups[1].Value}");
            }
        }
        Assert.Empty(wrong.Distinct());
    }

    [Theory]
    [InlineData(@"\bSystem\.Management\.Automation\b", "", "the engine knows nothing of PowerShell")]
    [InlineData(@"\bAmazon\.", "Storage/", "AWS SDK types stay in Storage/")]
    [InlineData(@"\bNpgsql\b", "Database/", "Npgsql stays in Database/")]
    public void PackageTypesStayInTheirFolder(string pattern, string allowed, string rule)
    {
        var outside = EngineFiles()
            .Where(f => allowed.Length == 0 || !f.Path.StartsWith(Engine + allowed, StringComparison.Ordinal))
            .Where(f => Regex.IsMatch(Code(f.Text), pattern))
            .Select(f => f.Path).ToList();
        Assert.True(outside.Count == 0, $"{rule}; found in: {string.Join(", ", outside)}");
    }

    [Fact]
    public void TheSearchesSeeTheFilesTheyLookFor()
    {
        // The rules above would pass on an empty tree: prove they read the real one.
        Assert.Contains(EngineFiles(), f => f.Path.StartsWith(Engine + "Storage/", StringComparison.Ordinal) && Regex.IsMatch(f.Text, @"\bAmazon\."));
        Assert.Contains(EngineFiles(), f => f.Path.StartsWith(Engine + "Database/", StringComparison.Ordinal) && Regex.IsMatch(f.Text, @"\bNpgsql\b"));
        Assert.Contains(SourceTree.Files("src/ClutterDR/"), f => f.Text.Contains("System.Management.Automation", StringComparison.Ordinal));
    }

    [Fact]
    public void NoSourceFileIsOver300Lines()
    {
        var files = SourceTree.Files("src").ToList();
        Assert.True(files.Count > 50, "the source tree was not found");
        var big = files.Select(f => (f.Path, Lines: f.Text.Count(c => c == '\n'))).Where(f => f.Lines > 300)
            .Select(f => $"{f.Path} ({f.Lines} lines)").ToList();
        Assert.True(big.Count == 0, "Split along its concerns: " + string.Join(", ", big));
    }

    [Fact]
    public void NamespacesFollowTheFolders()
    {
        var wrong = new List<string>();
        foreach (var (path, text) in EngineFiles())
        {
            var folder = FolderOf(path);
            var expected = folder is "Errors" or "Model" ? "ClutterDR" : "ClutterDR." + folder;
            var ns = Regex.Match(text, @"^namespace ([\w.]+);", RegexOptions.Multiline).Groups[1].Value;
            if (ns != expected) wrong.Add($"{path}: namespace {ns}, expected {expected}");
        }
        Assert.Empty(wrong);
    }
}
