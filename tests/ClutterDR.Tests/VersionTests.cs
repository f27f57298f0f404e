using System.Text.RegularExpressions;
using ClutterDR.Backup;

namespace ClutterDR.Tests;

public class VersionTests
{
    /// <summary>ClutterDR.psd1's ModuleVersion, found by walking up from the test's output folder to the repository.</summary>
    private static string ModuleVersion()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var psd1 = Path.Combine(dir.FullName, "ClutterDR.psd1");
            if (File.Exists(psd1)) return Regex.Match(File.ReadAllText(psd1), @"(?m)^\s*ModuleVersion\s*=\s*'([0-9.]+)'").Groups[1].Value;
        }
        throw new InvalidOperationException("ClutterDR.psd1 not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void AnEngineBuiltWithoutBuildPs1CarriesTheModuleVersion()
    {
        var version = ModuleVersion();
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        Assert.Equal("ClutterDR " + version, BackupService.ToolName);
        Assert.Equal(Version.Parse(version + ".0"), typeof(BackupService).Assembly.GetName().Version);
    }
}
