using System.Collections.Concurrent;
using System.Security.Cryptography;
using ClutterDR.Catalog;
using ClutterDR.Snapshots;
using ClutterDR.Storage;

namespace ClutterDR.Tests;

/// <summary>Retention of storage snapshots and -Prune (mark and sweep) against the real S3 test server (RGW) and real folders.</summary>
public class SnapshotRetentionTests
{
    private sealed class Host(Consent answer = Consent.Run) : IEngineHost
    {
        public ConcurrentBag<ClutterException> Problems { get; } = new();
        public ConcurrentQueue<object> Items { get; } = new();
        public void Progress(ProgressUpdate update) { }
        public void Verbose(string message) { }
        public void Warning(string message) { }
        public ValueTask ProblemAsync(ClutterException problem) { Problems.Add(problem); return ValueTask.CompletedTask; }
        public ValueTask ItemAsync(object item) { Items.Enqueue(item); return ValueTask.CompletedTask; }
        public ValueTask<IReadOnlyList<Consent>> ConfirmAsync(IReadOnlyList<PlannedChange> changes) =>
            ValueTask.FromResult<IReadOnlyList<Consent>>(changes.Select(_ => answer).ToList());
        public List<RetentionDecision> Decisions => Items.OfType<RetentionDecision>().ToList();
        public StoragePruneResult Pruned => Assert.Single(Items.OfType<StoragePruneResult>());
    }

    private static readonly DateTime TwoDaysOn = DateTime.UtcNow.AddDays(2);

    private static string NewFolder() => Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "clutterdr-xt-prune-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    private static async Task<string> RepositoryAsync(string kind) =>
        kind == "s3" ? $"s3://{await TestServers.NewBucketAsync()}/snaps" : Path.Combine(NewFolder(), "snaps");

    private static string Sha(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    /// <summary>
    /// Three snapshots of one folder with overlapping content: 1 = {a, b, shared}, 2 = {b, c, shared}, 3 = {c, d, shared}.
    /// Only the first references a's blob. Returns the repository, the contents, and the snapshots oldest first.
    /// </summary>
    private static async Task<(string Repo, Dictionary<string, byte[]> Data, List<StorageSnapshot> Snaps)> ThreeSnapshotsAsync(string kind)
    {
        var repo = await RepositoryAsync(kind);
        var source = Path.Combine(NewFolder(), "media");
        Directory.CreateDirectory(source);
        var data = new[] { "a", "b", "c", "d", "shared" }.ToDictionary(k => k, k => RandomNumberGenerator.GetBytes(1000 + k.Length * 777));
        var snaps = new List<StorageSnapshot>();
        foreach (var files in new[] { new[] { "a", "b", "shared" }, new[] { "b", "c", "shared" }, new[] { "c", "d", "shared" } })
        {
            foreach (var f in Directory.GetFiles(source)) File.Delete(f);
            foreach (var f in files) await File.WriteAllBytesAsync(Path.Combine(source, f + ".bin"), data[f]);
            snaps.Add(await new SnapshotBackupService(new Host()).RunAsync(new SnapshotBackupRequest
            {
                Source = BackupLocation.Parse(source), Destination = BackupLocation.Parse(repo),
                SourceS3 = TestServers.S3Options, DestinationS3 = TestServers.S3Options, ThrottleLimit = 2,
            }, CancellationToken.None));
        }
        Assert.Equal(3, snaps.Select(s => s.Location).Distinct().Count());
        return (repo, data, snaps);
    }

    private static IObjectStore Open(string repo) => ObjectStores.Open(BackupLocation.Parse(repo), TestServers.S3Options);

    private static async Task<HashSet<string>> BlobSetAsync(string repo)
    {
        using var store = Open(repo);
        return (await SnapshotRepository.BlobsAsync(store, CancellationToken.None)).Keys.ToHashSet();
    }

    private static async Task<List<string>> IndexesAsync(string repo)
    {
        using var store = Open(repo);
        return (await SnapshotRepository.ListAsync(store, null, CancellationToken.None)).Select(r => r.Key).ToList();
    }

    private static Task Apply(string repo, Host host, RetentionPolicy policy, bool prune, DateTime? now = null) =>
        new SnapshotRetentionService(host, now is null ? null : () => now.Value).ApplyPolicyAsync(new SnapshotRetentionRequest
        {
            Location = BackupLocation.Parse(repo), S3 = TestServers.S3Options, Policy = policy, Prune = prune,
        }, CancellationToken.None);

    [Theory]
    [InlineData("s3")]
    [InlineData("folder")]
    public async Task RemovingTheFirstSnapshotThenPruningFreesExactlyTheBlobsOnlyItReferenced(string kind)
    {
        var (repo, data, snaps) = await ThreeSnapshotsAsync(kind);
        var before = await BlobSetAsync(repo);
        Assert.Equal(data.Values.Select(Sha).ToHashSet(), before);

        // Written just now: the policy removes the first snapshot, but a's blob is younger than 24 h and stays.
        var young = new Host();
        await Apply(repo, young, new RetentionPolicy { KeepLast = 2 }, prune: true);
        var removed = Assert.Single(young.Decisions);
        Assert.Equal((RetentionAction.Removed, snaps[0].Location, snaps[0].Name), (removed.Action, removed.Location, removed.Database));
        Assert.Equal(snaps.Skip(1).Select(s => s.Location), (await IndexesAsync(repo)).Select(k => Open(repo).Describe(k)));
        Assert.Equal((2, 4, 0, 1), (young.Pruned.Snapshots, young.Pruned.ReferencedBlobs, young.Pruned.SweptBlobs, young.Pruned.YoungBlobsKept));
        Assert.Equal(before, await BlobSetAsync(repo));

        // Two days on, the same blob is old: the prune sweeps it and only it.
        var later = new Host();
        await Apply(repo, later, new RetentionPolicy(), prune: true, now: TwoDaysOn);
        Assert.Empty(later.Decisions);
        Assert.Equal((1, (long)data["a"].Length, 0), (later.Pruned.SweptBlobs, later.Pruned.SweptBytes, later.Pruned.YoungBlobsKept));
        before.Remove(Sha(data["a"]));
        Assert.Equal(before, await BlobSetAsync(repo));
        Assert.Empty(later.Problems);

        // What remains still restores completely.
        var check = await new SnapshotCheckService(new Host()).RunAsync(new SnapshotCheckRequest
        {
            Snapshot = BackupLocation.Parse(repo), S3 = TestServers.S3Options, Deep = true, Decryption = new Crypto.DecryptionOptions(),
        }, CancellationToken.None);
        Assert.True(check.Passed);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("folder")]
    public async Task AnUnreferencedBlobYoungerThanTheDebrisAgeSurvivesThePrune(string kind)
    {
        var (repo, _, _) = await ThreeSnapshotsAsync(kind);
        var stray = RandomNumberGenerator.GetBytes(4321);
        using (var store = Open(repo))
            await store.PutAsync(SnapshotIndex.BlobKey(Sha(stray)), stray, new WriteOptions(), CancellationToken.None);
        var host = new Host();
        await Apply(repo, host, new RetentionPolicy(), prune: true);
        Assert.Equal((0, 1), (host.Pruned.SweptBlobs, host.Pruned.YoungBlobsKept));
        Assert.Contains(Sha(stray), await BlobSetAsync(repo));

        var later = new Host();
        await Apply(repo, later, new RetentionPolicy(), prune: true, now: TwoDaysOn);
        Assert.Equal((1, 4321L), (later.Pruned.SweptBlobs, later.Pruned.SweptBytes));
        Assert.DoesNotContain(Sha(stray), await BlobSetAsync(repo));
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("folder")]
    public async Task WhatIfRemovesNoSnapshotAndSweepsNothingButReportsWhatItWould(string kind)
    {
        var (repo, data, snaps) = await ThreeSnapshotsAsync(kind);
        var (blobs, indexes) = (await BlobSetAsync(repo), await IndexesAsync(repo));
        var host = new Host(Consent.WhatIf);
        await Apply(repo, host, new RetentionPolicy { KeepLast = 2 }, prune: true, now: TwoDaysOn);
        Assert.Equal([RetentionAction.Kept, RetentionAction.Kept, RetentionAction.WouldRemove], host.Decisions.Select(d => d.Action));
        Assert.Equal(snaps[0].Location, host.Decisions[2].Location);
        Assert.Contains("newest", host.Decisions[0].Reasons);
        Assert.True(host.Pruned.WhatIf);
        Assert.Equal((2, 1, (long)data["a"].Length), (host.Pruned.Snapshots, host.Pruned.SweptBlobs, host.Pruned.SweptBytes));
        Assert.Equal(blobs, await BlobSetAsync(repo));
        Assert.Equal(indexes, await IndexesAsync(repo));
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("folder")]
    public async Task AnUnreadableIndexStopsThePruneBeforeItDeletesAnything(string kind)
    {
        var (repo, _, _) = await ThreeSnapshotsAsync(kind);
        using (var store = Open(repo))
            await store.PutAsync("snapshots/other_20260101T000000Z.json.zst", "not zstd at all"u8.ToArray(), new WriteOptions(), CancellationToken.None);
        var (blobs, indexes) = (await BlobSetAsync(repo), await IndexesAsync(repo));
        var host = new Host();
        var e = await Assert.ThrowsAsync<ClutterException>(() => Apply(repo, host, new RetentionPolicy { KeepLast = 1 }, prune: true, now: TwoDaysOn));
        Assert.True(e.Is(Errors.SnapshotPruneStopped), e.ErrorId);
        Assert.EndsWith("other_20260101T000000Z.json.zst", e.Target?.ToString());
        Assert.Contains("deleted nothing", e.Message);
        // The policy removed the two older snapshots of the media name (the damaged one is the newest of its own name); no blob went.
        Assert.Equal(2, host.Decisions.Count(d => d.Action == RetentionAction.Removed));
        Assert.Equal(indexes.Count - 2, (await IndexesAsync(repo)).Count);
        Assert.Equal(blobs, await BlobSetAsync(repo));
        Assert.Empty(host.Items.OfType<StoragePruneResult>());
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("folder")]
    public async Task PipedSnapshotsAreRemovedExactlyAndTheNewestOfANameIsProtected(string kind)
    {
        var (repo, data, snaps) = await ThreeSnapshotsAsync(kind);
        var host = new Host();
        var service = new SnapshotRetentionService(host, () => TwoDaysOn);
        foreach (var s in new[] { snaps[2], snaps[0] })
            await service.RemoveAsync(BackupLocation.Parse(s.Location), TestServers.S3Options, reportKept: false, CancellationToken.None);
        var problem = Assert.Single(host.Problems);
        Assert.True(problem.Is(Errors.BackupProtected));
        Assert.Equal(snaps[2].Location, problem.Target?.ToString());
        var removed = Assert.Single(host.Decisions);
        Assert.Equal((RetentionAction.Removed, snaps[0].Location), (removed.Action, removed.Location));
        Assert.Equal(snaps.Skip(1).Select(s => s.Location), (await IndexesAsync(repo)).Select(k => Open(repo).Describe(k)));

        await service.PruneSeenAsync(CancellationToken.None);
        Assert.Equal((1, (long)data["a"].Length), (host.Pruned.SweptBlobs, host.Pruned.SweptBytes));
        Assert.DoesNotContain(Sha(data["a"]), await BlobSetAsync(repo));
        Assert.Equal(4, (await BlobSetAsync(repo)).Count);
    }

    [Fact]
    public async Task ALocationWithoutSnapshotsIsRefusedAndAPolicyWithoutRulesIsRefusedUnlessPruneAlone()
    {
        var empty = NewFolder();
        var e = await Assert.ThrowsAsync<ClutterException>(() => Apply(empty, new Host(), new RetentionPolicy { KeepLast = 3 }, prune: true));
        Assert.True(e.Is(Errors.SnapshotNotFound), e.ErrorId);
        Assert.Contains("no storage snapshot", e.Message);

        var (repo, _, _) = await ThreeSnapshotsAsync("folder");
        var nothing = await Assert.ThrowsAsync<ClutterException>(() => Apply(repo, new Host(), new RetentionPolicy(), prune: false));
        Assert.True(nothing.Is(Errors.RetentionKeepsNothing));
        Assert.Equal(3, (await IndexesAsync(repo)).Count);
    }
}
