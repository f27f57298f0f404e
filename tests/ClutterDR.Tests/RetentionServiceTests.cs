using System.Globalization;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Retention;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>A host that records items, problems and the changes it was asked to confirm, answering each with one consent.</summary>
internal sealed class RetentionHost(Consent answer = Consent.Run) : IEngineHost
{
    private readonly object _gate = new();
    public List<object> Items { get; } = new();
    public List<ClutterException> Problems { get; } = new();
    public List<PlannedChange> Asked { get; } = new();
    public IEnumerable<RetentionDecision> Decisions => Items.OfType<RetentionDecision>();
    public void Progress(ProgressUpdate update) { }
    public void Verbose(string message) { }
    public void Warning(string message) { }
    public ValueTask ProblemAsync(ClutterException problem) { lock (_gate) Problems.Add(problem); return ValueTask.CompletedTask; }
    public ValueTask ItemAsync(object item) { lock (_gate) Items.Add(item); return ValueTask.CompletedTask; }
    public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes)
    {
        lock (_gate) Asked.AddRange(changes);
        return ValueTask.FromResult<IReadOnlyList<Consent>>(changes.Select(_ => answer).ToArray());
    }
}

/// <summary>
/// Remove-ClutterBackup's engine over real objects, in a folder and on the real S3 server: real backups of real
/// databases, copied through the repository under the names and manifests of earlier dates (forged dates).
/// </summary>
public class RetentionServiceTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
    private static DateTime At(string day, string time = "02:00:00") =>
        DateTime.ParseExact($"{day}T{time}Z", "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    private static IEnumerable<DateTime> Days(string first, string last, string time = "02:00:00")
    {
        for (var d = At(first, time); d <= At(last, time); d = d.AddDays(1)) yield return d;
    }

    private static async Task<(BackupLocation Location, S3Options S3)> NewLocationAsync(string kind) =>
        kind == "s3"
            ? (BackupLocation.Parse($"s3://{await TestServers.NewBucketAsync()}/ret"), TestServers.S3Options)
            : (BackupLocation.ForFolder(Directory.CreateTempSubdirectory("clutterdr-xt-ret-").FullName), TestServers.S3Options);

    /// <summary>A real backup of a new database, copied under each date (with a manifest unless told); the original goes.</summary>
    private static async Task<string> SeedAsync(BackupLocation location, S3Options s3, IEnumerable<DateTime> dates, IEnumerable<DateTime>? orphans = null)
    {
        var db = await TestServers.NewDatabaseAsync("create table t as select g from generate_series(1, 100) g;");
        var real = await new BackupService(NullHost.Instance).RunAsync(new BackupRequest
        {
            Connection = PgConnectionSettings.Parse(TestServers.PgUrl(db)), Destination = location, S3 = s3,
        }, CancellationToken.None);
        using var repo = BackupRepository.Open(location, s3);
        var name = BackupName.TryParse(real.Location[(real.Location.LastIndexOfAny(['/', Path.DirectorySeparatorChar]) + 1)..])!;
        var manifest = await BackupCatalog.ReadManifestAsync(repo, name.ManifestKey, CancellationToken.None);
        var data = (await repo.TryReadAllAsync(name.Key, CancellationToken.None))!;
        await Parallel.ForEachAsync(dates.Select(d => (d, true)).Concat((orphans ?? []).Select(d => (d, false))), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (x, ct) =>
        {
            var forged = new BackupName(name.DatabaseFolder, x.Item1, 1, name.Extension);
            await repo.PutAsync(forged.Key, data, "application/octet-stream", null, ct);
            if (!x.Item2) return;
            var m = BackupManifest.Parse(manifest.ToJson(), "copy");
            m.StartedUtc = x.Item1;
            m.CompletedUtc = x.Item1.AddMinutes(1);
            m.DataObject = forged.FileName;
            await repo.PutAsync(forged.ManifestKey, m.ToJson(), "application/json", null, ct);
        });
        await repo.DeleteAsync(name.ManifestKey, CancellationToken.None);
        await repo.DeleteAsync(name.Key, CancellationToken.None);
        return db;
    }

    private static async Task<Dictionary<string, List<DateTime>>> RemainingAsync(BackupLocation location, S3Options s3) =>
        (await BackupCatalog.FindAsync(new BackupQuery { Location = location, S3 = s3 }, CancellationToken.None))
            .GroupBy(b => b.Database).ToDictionary(g => g.Key, g => g.Select(b => b.CreatedUtc).Order().ToList());

    [Theory]
    [InlineData("folder")]
    [InlineData("s3")]
    public async Task A90DayAndA743PolicyLeaveExactlyTheExpectedSetPerDatabaseAndWhatIfDeletesNothing(string kind)
    {
        var (location, s3) = await NewLocationAsync(kind);
        var a = await SeedAsync(location, s3, Days("2026-09-01", "2026-11-30"));
        var b = await SeedAsync(location, s3, Days("2026-11-01", "2026-11-30").Concat(Days("2026-11-01", "2026-11-30", "14:00:00")).Append(At("2026-10-15")));
        var request = new RetentionRequest { Location = location, S3 = s3, Policy = new RetentionPolicy { KeepDaily = 7, KeepWeekly = 4, KeepMonthly = 3 } };

        var whatIf = new RetentionHost(Consent.WhatIf);
        await new RetentionService(whatIf, () => Now).ApplyPolicyAsync(request, CancellationToken.None);
        var before = await RemainingAsync(location, s3);
        Assert.Equal(91, before[a].Count);
        Assert.Equal(61, before[b].Count);
        Assert.Equal(80 + 51, whatIf.Decisions.Count(d => d.Action == RetentionAction.WouldRemove));
        Assert.Equal(11 + 10, whatIf.Decisions.Count(d => d.Action == RetentionAction.Kept));
        Assert.Equal(80 + 51, whatIf.Asked.Count);
        Assert.Contains(whatIf.Decisions, d => d.Action == RetentionAction.Kept && d.Database == b && d.Reasons.SequenceEqual(["monthly 2026-10"]));

        var ninety = new RetentionHost();
        await new RetentionService(ninety, () => Now).ApplyPolicyAsync(request with { Policy = new RetentionPolicy { KeepWithin = TimeSpan.FromDays(90) } }, CancellationToken.None);
        var left = await RemainingAsync(location, s3);
        Assert.Equal(Days("2026-09-02", "2026-11-30"), left[a]);
        Assert.Equal(61, left[b].Count);
        var gone = Assert.Single(ninety.Decisions);
        Assert.Equal((RetentionAction.Removed, a, At("2026-09-01")), (gone.Action, gone.Database, gone.CreatedUtc));
        Assert.Empty(ninety.Problems);

        var tiers = new RetentionHost();
        await new RetentionService(tiers, () => Now).ApplyPolicyAsync(request, CancellationToken.None);
        left = await RemainingAsync(location, s3);
        Assert.Equal(new[] { "2026-09-30", "2026-10-31", "2026-11-15", "2026-11-22" }.Select(d => At(d)).Concat(Days("2026-11-24", "2026-11-30")), left[a]);
        Assert.Equal(new[] { At("2026-10-15"), At("2026-11-15", "14:00:00"), At("2026-11-22", "14:00:00") }.Concat(Days("2026-11-24", "2026-11-30", "14:00:00")), left[b]);
        Assert.Equal(79 + 51, tiers.Decisions.Count(d => d.Action == RetentionAction.Removed));
        Assert.DoesNotContain(tiers.Decisions, d => d.Action != RetentionAction.Removed); // kept ones only with ReportKept
        // What was removed is gone for good: no data object left behind either.
        using var repo = BackupRepository.Open(location, s3);
        var objects = await repo.Store.ListAllAsync("", CancellationToken.None);
        Assert.Equal(2 * (11 + 10), objects.Count);
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("s3")]
    public async Task TheFloorKeepsTheNewestThePinnedTheDrilledAndTheLockedWhenEverythingHasExpired(string kind)
    {
        var (location, s3) = await NewLocationAsync(kind);
        var db = await SeedAsync(location, s3, Days("2026-01-01", "2026-01-06"));
        using var repo = BackupRepository.Open(location, s3);
        var all = await BackupCatalog.FindAsync(new BackupQuery { Location = location, S3 = s3 }, CancellationToken.None);
        Assert.All(all, b => Assert.False(b.Pinned));
        var pinnedOne = all.Single(b => b.CreatedUtc == At("2026-01-02"));
        var pinned = await BackupPins.SetAsync(BackupLocation.Parse(pinnedOne.Location), s3, true, NullHost.Instance, CancellationToken.None);
        Assert.True(pinned!.Pinned);
        // The sidecar is no backup: the listing has as many, one of them pinned.
        all = await BackupCatalog.FindAsync(new BackupQuery { Location = location, S3 = s3 }, CancellationToken.None);
        Assert.Equal(6, all.Count);
        Assert.Equal(At("2026-01-02"), Assert.Single(all, b => b.Pinned).CreatedUtc);
        var drilled = BackupName.TryParse(all.Single(b => b.CreatedUtc == At("2026-01-04")).Location.Split('/', '\\')[^1])!;
        await DrillLeases.BeginAsync(repo, drilled, "clutterdr_drill_x", DateTime.UtcNow, CancellationToken.None);
        // A forged lock in the manifest of 2026-01-03 (the floor reads it as the listing does).
        var lockedName = new BackupName(drilled.DatabaseFolder, At("2026-01-03"), 1, drilled.Extension);
        var m = await BackupCatalog.ReadManifestAsync(repo, lockedName.ManifestKey, CancellationToken.None);
        m.ObjectLock = new ManifestObjectLock { Mode = "Governance", RetainUntilUtc = DateTime.UtcNow.AddDays(30) };
        await repo.PutAsync(lockedName.ManifestKey, m.ToJson(), "application/json", null, CancellationToken.None);

        var host = new RetentionHost();
        await new RetentionService(host).ApplyPolicyAsync(new RetentionRequest { Location = location, S3 = s3, Policy = new RetentionPolicy { KeepLast = 0, KeepWithin = TimeSpan.FromDays(7) }, ReportKept = true }, CancellationToken.None);
        var left = await RemainingAsync(location, s3);
        Assert.Equal(new[] { At("2026-01-02"), At("2026-01-03"), At("2026-01-04"), At("2026-01-06") }, left[db]);
        var kept = host.Decisions.Where(d => d.Action == RetentionAction.Kept).ToDictionary(d => d.CreatedUtc, d => string.Join(", ", d.Reasons));
        Assert.Equal("pinned", kept[At("2026-01-02")]);
        Assert.StartsWith("locked until ", kept[At("2026-01-03")]);
        Assert.Equal("drill running", kept[At("2026-01-04")]);
        Assert.Equal("newest", kept[At("2026-01-06")]);
        Assert.True(await repo.ExistsAsync(new BackupName(drilled.DatabaseFolder, At("2026-01-02"), 1, drilled.Extension).PinnedKey, CancellationToken.None));

        // Piped: the newest and the pinned are refused (BackupProtected), an unpinned older one goes.
        var piped = new RetentionHost();
        var service = new RetentionService(piped);
        foreach (var day in new[] { "2026-01-06", "2026-01-02" })
            await service.RemoveAsync(BackupLocation.Parse(all.Single(b => b.CreatedUtc == At(day)).ManifestLocation), s3, reportKept: false, CancellationToken.None);
        Assert.Equal(2, piped.Problems.Count(p => p.Is(Errors.BackupProtected)));
        Assert.Contains("pinned", piped.Problems[1].Message);
        await BackupPins.SetAsync(BackupLocation.Parse(pinnedOne.Location), s3, false, NullHost.Instance, CancellationToken.None);
        // A new call (one call decides its piped backups against one listing): unpinned, it goes.
        await new RetentionService(piped).RemoveAsync(BackupLocation.Parse(pinnedOne.Location), s3, reportKept: false, CancellationToken.None);
        Assert.Equal(RetentionAction.Removed, Assert.Single(piped.Decisions).Action);
        Assert.Equal(new[] { At("2026-01-03"), At("2026-01-04"), At("2026-01-06") }, (await RemainingAsync(location, s3))[db]);
        Assert.False(await repo.ExistsAsync(new BackupName(drilled.DatabaseFolder, At("2026-01-02"), 1, drilled.Extension).PinnedKey, CancellationToken.None));

        var nothing = await Assert.ThrowsAsync<ClutterException>(() => new RetentionService(host).ApplyPolicyAsync(new RetentionRequest { Location = location, S3 = s3, Policy = new RetentionPolicy { KeepDaily = 0 } }, CancellationToken.None));
        Assert.True(nothing.Is(Errors.RetentionKeepsNothing));
        Assert.Equal(3, (await RemainingAsync(location, s3))[db].Count);
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("s3")]
    public async Task AnOrphanOlderThanADayIsRemovedWithIncludeOrphansAndAYoungerOneIsNot(string kind)
    {
        var (location, s3) = await NewLocationAsync(kind);
        var db = await SeedAsync(location, s3, [At("2026-11-30")], orphans: [At("2026-11-01")]);
        await Task.Delay(2500); // the second orphan is written seconds later (S3 keeps whole seconds)
        using var repo = BackupRepository.Open(location, s3);
        var older = new BackupName(BackupName.SafeFolderName(db), At("2026-11-01"), 1, "dump.zst");
        var younger = older.WithSequence(2);
        await repo.PutAsync(younger.Key, new byte[] { 1, 2, 3 }, "application/octet-stream", null, CancellationToken.None);
        await repo.PutAsync(older.ClaimKey, Array.Empty<byte>(), "application/octet-stream", null, CancellationToken.None);
        var youngerWritten = (await repo.Store.StatAsync(younger.Key, CancellationToken.None))!.LastModifiedUtc;
        var olderWritten = (await repo.Store.StatAsync(older.Key, CancellationToken.None))!.LastModifiedUtc;
        Assert.True(youngerWritten - olderWritten >= TimeSpan.FromSeconds(2));
        // Looked at a day (less a second) after the younger one was written: the older one is more than a day old.
        var clock = youngerWritten + TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1);
        var request = new RetentionRequest { Location = location, S3 = s3, Databases = [db], Policy = new RetentionPolicy { KeepLast = 1 } };

        await new RetentionService(new RetentionHost(), () => clock).ApplyPolicyAsync(request, CancellationToken.None);
        Assert.True(await repo.ExistsAsync(older.Key, CancellationToken.None)); // without -IncludeOrphans

        var host = new RetentionHost();
        await new RetentionService(host, () => clock).ApplyPolicyAsync(request with { IncludeOrphans = true }, CancellationToken.None);
        var orphan = Assert.Single(host.Decisions);
        Assert.True(orphan.Orphan);
        Assert.Equal(RetentionAction.Removed, orphan.Action);
        Assert.Equal(repo.Describe(older.Key), orphan.Location);
        Assert.StartsWith("orphan: no manifest", Assert.Single(orphan.Reasons));
        Assert.False(await repo.ExistsAsync(older.Key, CancellationToken.None));
        Assert.False(await repo.ExistsAsync(older.ClaimKey, CancellationToken.None));
        Assert.True(await repo.ExistsAsync(younger.Key, CancellationToken.None));
        Assert.Single((await RemainingAsync(location, s3))[db]);
    }

    [Fact]
    public async Task AFailureBetweenTheManifestAndTheDataDeleteLeavesNoCompleteLookingBackup()
    {
        var (location, s3) = await NewLocationAsync("folder");
        var db = await SeedAsync(location, s3, Days("2026-11-28", "2026-11-30"));
        var victim = new BackupName(BackupName.SafeFolderName(db), At("2026-11-28"), 1, "dump.zst");
        // A real fault: the data object's path is a folder with a file in it, which a file delete cannot remove.
        var dataPath = location.Describe(victim.Key);
        File.Delete(dataPath);
        Directory.CreateDirectory(dataPath);
        File.WriteAllText(Path.Combine(dataPath, "held"), "x");

        var host = new RetentionHost();
        await new RetentionService(host, () => Now).ApplyPolicyAsync(new RetentionRequest { Location = location, S3 = s3, Policy = new RetentionPolicy { KeepLast = 2 } }, CancellationToken.None);
        var problem = Assert.Single(host.Problems);
        Assert.True(problem.Is(Errors.BackupNotRemoved));
        Assert.Equal(dataPath, problem.Target);
        Assert.Contains("no longer lists", problem.Message);
        Assert.False(File.Exists(location.Describe(victim.ManifestKey)));
        Assert.Equal(new[] { At("2026-11-29"), At("2026-11-30") }, (await RemainingAsync(location, s3))[db]);
        Assert.Empty(host.Decisions);
    }
}
