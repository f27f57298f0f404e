using System.Security;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Storage;

namespace ClutterDR.Config;

/// <summary>A JSON document to fetch with GET (such as a Supabase project's config from its management API), with an optional bearer token.</summary>
public sealed record ConfigUri(Uri Uri, SecureString? BearerToken);

/// <summary>What Backup-ClutterConfiguration asks for: the sources, where to store them, and how.</summary>
public sealed record ConfigBackupRequest
{
    public required BackupLocation Destination { get; init; }
    public S3Options S3 { get; init; } = new();
    /// <summary>The configuration's name: its folder under the location and its "database" in listings.</summary>
    public string Name { get; init; } = "config";
    /// <summary>Names or wildcards (* and ?) of process environment variables.</summary>
    public IReadOnlyList<string> EnvironmentVariables { get; init; } = Array.Empty<string>();
    public IReadOnlyList<ConfigUri> Uris { get; init; } = Array.Empty<ConfigUri>();
    /// <summary>Git repositories (working trees or bare), bundled with git bundle create --all.</summary>
    public IReadOnlyList<string> GitRepositories { get; init; } = Array.Empty<string>();
    /// <summary>Files, stored as files/&lt;name&gt;.</summary>
    public IReadOnlyList<string> Paths { get; init; } = Array.Empty<string>();
    public CompressionKind Compression { get; init; } = CompressionKind.Zstd;
    public EncryptionOptions Encryption { get; init; } = new();
    /// <summary>Store environment variables without encryption, on purpose.</summary>
    public bool AllowPlaintextSecrets { get; init; }
    public string? StorageClass { get; init; }
    /// <summary>GET timeout of each -Uri.</summary>
    public TimeSpan UriTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>What Restore-ClutterConfiguration asks for: the backup, the folder to write its files to, the key.</summary>
public sealed record ConfigRestoreRequest
{
    public required BackupLocation Backup { get; init; }
    public S3Options S3 { get; init; } = new();
    public required string Destination { get; init; }
    public DecryptionOptions Decryption { get; init; } = new();
    public bool Force { get; init; }
}
