using System.Management.Automation;
using System.Security;
using ClutterDR.Catalog;
using ClutterDR.Commands.Completers;
using ClutterDR.Config;

namespace ClutterDR.Commands;

/// <summary>
/// Backup-ClutterConfiguration: environment variables, JSON documents fetched with a bearer token, git bundles and files,
/// as one tar stored like a database backup (kind Config: a data object and its manifest), encrypted to the same
/// recipients; environment variables are refused in the clear without -AllowPlaintextSecrets.
/// </summary>
[Cmdlet(VerbsData.Backup, "ClutterConfiguration")]
[OutputType(typeof(BackupInfo))]
public sealed class BackupClutterConfigurationCommand : ClutterS3Cmdlet, IDynamicParameters
{
    /// <summary>A folder path or s3://bucket/prefix: the repository to store the configuration backup in.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(S3LocationCompleter))]
    public string Destination { get; set; } = "";

    /// <summary>The configuration's name: its folder under the destination and its Database in listings (default: config).</summary>
    [Parameter]
    [ValidatePattern("^[A-Za-z0-9._-]+$")]
    public string Name { get; set; } = "config";

    /// <summary>Names or wildcards (* and ?) of environment variables of this process to store (in env.json).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] EnvironmentVariable { get; set; } = Array.Empty<string>();

    /// <summary>URLs of JSON documents to GET (uri-1.json, ...), such as a project's config from a management API.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public Uri[] Uri { get; set; } = Array.Empty<Uri>();

    /// <summary>With -Uri: sent as "Authorization: Bearer ..." to each of them.</summary>
    [Parameter]
    public SecureString? BearerToken { get; set; }

    /// <summary>Git repositories to store as bundles (git bundle create --all; repo-1.bundle, ...).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] GitRepository { get; set; } = Array.Empty<string>();

    /// <summary>Files to store (files/&lt;name&gt;).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Store environment variables without encryption, on purpose.</summary>
    [Parameter]
    public SwitchParameter AllowPlaintextSecrets { get; set; }

    /// <summary>Zstd (the default), Gzip or None.</summary>
    [Parameter]
    [ValidateSet(nameof(CompressionKind.Zstd), nameof(CompressionKind.Gzip), nameof(CompressionKind.None))]
    public string Compression { get; set; } = nameof(CompressionKind.Zstd);

    /// <summary>Writes one row of the audit trail to this PostgreSQL database (Initialize-ClutterAuditLog), running then success or failed.</summary>
    [Parameter, Audited("config", Location = nameof(Destination))] public string? AuditConnectionString { get; set; }

    private readonly EncryptionParameters _encryption = new();

    /// <summary>-Recipient and -Passphrase (EncryptionParameters).</summary>
    public object GetDynamicParameters() => _encryption;

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        var (destination, repositories, paths) = await OnPipelineThreadAsync(() => (
            LocationResolver.ResolveDestination(this, Destination),
            GitRepository.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)).ToList(),
            Path.Select(p => SessionState.Path.GetUnresolvedProviderPathFromPSPath(p)).ToList())).ConfigureAwait(false);
        var request = new ConfigBackupRequest
        {
            Destination = destination,
            S3 = BuildS3Options(),
            Name = Name,
            EnvironmentVariables = EnvironmentVariable,
            Uris = Uri.Select(u => new ConfigUri(u, BearerToken)).ToList(),
            GitRepositories = repositories,
            Paths = paths,
            Compression = Enum.Parse<CompressionKind>(Compression, ignoreCase: true),
            Encryption = KeyArguments.Encryption(this, _encryption),
            AllowPlaintextSecrets = AllowPlaintextSecrets,
        };
        var info = await new ConfigBackupService(Sink).RunAsync(request, cancellationToken).ConfigureAwait(false);
        await EmitObjectAsync(info).ConfigureAwait(false);
    }
}
