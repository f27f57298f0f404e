using System.Text.RegularExpressions;

namespace ClutterDR.Tests;

/// <summary>The repository's C# sources, for the tests that check rules of the code itself (error table, layers).</summary>
internal static class SourceTree
{
    public static readonly string RepoRoot = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ClutterDR.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No ClutterDR.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Every .cs file below a folder of the repository (bin/ and obj/ left out), with its path relative to the root ('/').</summary>
    public static IEnumerable<(string Path, string Text)> Files(string under) =>
        Directory.EnumerateFiles(Path.Combine(RepoRoot, under), "*.cs", SearchOption.AllDirectories)
            .Where(f => !Regex.IsMatch(f, @"[\\/](bin|obj)[\\/]"))
            .Select(f => (Path.GetRelativePath(RepoRoot, f).Replace('\\', '/'), File.ReadAllText(f)));
}
