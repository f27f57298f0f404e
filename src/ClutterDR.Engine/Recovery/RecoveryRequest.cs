using ClutterDR.Catalog;
using ClutterDR.Database;
using ClutterDR.Storage;

namespace ClutterDR.Recovery;

/// <summary>What Test-ClutterRecovery checks: the recovered database and, when given, the backup it came from, tables, extensions, storage, media and health endpoints.</summary>
public sealed class RecoveryRequest
{
    public required PgConnectionSettings Database { get; init; }
    /// <summary>The restored backup: every table of its manifest must be there with at least the manifest's rows.</summary>
    public BackupInfo? Backup { get; init; }
    /// <summary>Table name patterns (users, public.dump*) that must each match a table.</summary>
    public IReadOnlyList<string> ExpectedTables { get; init; } = [];
    public IReadOnlyList<string> RequiredExtensions { get; init; } = [];
    /// <summary>The media bucket or folder: listed and one object read end to end.</summary>
    public BackupLocation? StorageLocation { get; init; }
    public S3Options S3 { get; init; } = new();
    /// <summary>Keys under StorageLocation, or full locations (s3://bucket/key, an absolute path), that must be readable.</summary>
    public IReadOnlyList<string> SampleObjects { get; init; } = [];
    public IReadOnlyList<Uri> HealthUris { get; init; } = [];
    /// <summary>How long each health endpoint may take to answer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
