using System.Formats.Tar;
using System.Text.Json;
using ClutterDR.Backup;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Repository;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Config;

/// <summary>
/// Backup-ClutterConfiguration: the sources (<see cref="ConfigSources"/>) as one POSIX tar (pax), streamed through the
/// stored format (compress -> [encrypt] -> hash) into the repository of database backups: a data object
/// &lt;name&gt;/&lt;name&gt;_&lt;time&gt;.tar.zst[.gpg] under a claimed name, then its manifest (kind "config") as the commit.
/// The tar holds contents.json (each entry's source, never a value), env.json, uri-N.json, repo-N.bundle, files/&lt;name&gt;.
/// Environment variables are secrets: without encryption they are refused unless AllowPlaintextSecrets.
/// </summary>
public sealed class ConfigBackupService
{
    private readonly IEngineHost _host;
    private readonly TimeProvider _clock;

    public ConfigBackupService(IEngineHost host, TimeProvider? clock = null)
    {
        _host = host;
        _clock = clock ?? TimeProvider.System;
    }

    public async Task<BackupInfo> RunAsync(ConfigBackupRequest request, CancellationToken cancellationToken)
    {
        if (request.EnvironmentVariables.Count + request.Uris.Count + request.GitRepositories.Count + request.Paths.Count == 0)
            throw new ClutterException(Errors.NothingToBackUpConfig, "Give at least one of -EnvironmentVariable, -Uri, -GitRepository, -Path.", request.Name);
        if (request.EnvironmentVariables.Count > 0 && !request.Encryption.Enabled && !request.AllowPlaintextSecrets)
            throw new ClutterException(Errors.ConfigSecretsNeedEncryption,
                "The values of environment variables are secrets: add -Recipient (or -Passphrase) to encrypt the backup, or -AllowPlaintextSecrets to store them in the clear on purpose. Nothing was written.",
                string.Join(", ", request.EnvironmentVariables));
        var level = StoredFormat.CheckLevel(request.Compression, null);
        var format = new StoredFormat(request.Compression, level, request.Encryption.Enabled ? EncryptionPlan.Prepare(request.Encryption) : null);

        using var sources = await ConfigSources.ReadAsync(request, _host, cancellationToken).ConfigureAwait(false);
        if (sources.Entries.Count == 0)
            throw new ClutterException(Errors.NothingToBackUpConfig,
                $"No environment variable matches {string.Join(", ", request.EnvironmentVariables)}, and no other source was given; nothing was written.", string.Join(", ", request.EnvironmentVariables));
        if (sources.VariableCount > 0) _host.Verbose($"{sources.VariableCount} environment variable{(sources.VariableCount == 1 ? "" : "s")} match{(sources.VariableCount == 1 ? "es" : "")} {string.Join(", ", request.EnvironmentVariables)}.");

        using var repository = BackupRepository.Open(request.Destination, request.S3);
        await repository.EnsureWritableAsync(cancellationToken).ConfigureAwait(false);
        var claims = new BackupNameClaims(_host);
        var started = _clock.GetUtcNow().UtcDateTime;
        var extension = "tar" + format.ExtensionFor(DumpFormat.Custom)["dump".Length..];
        var (name, writer, claim) = await claims.CreateUniqueAsync(repository, repository.CanClaimAsync(cancellationToken), request.Name, started, extension, request.StorageClass, cancellationToken).ConfigureAwait(false);
        var dataCommitted = false;
        try
        {
            StoredResult stored;
            await using (var chain = format.OpenWrite(writer.Stream, name.FileName.EndsWith(".gpg", StringComparison.Ordinal) ? name.FileName[..^4] : name.FileName, started))
            {
                var counter = new HashingStream(chain.Input);
                await WriteTarAsync(counter, sources, started, cancellationToken).ConfigureAwait(false);
                chain.AddRaw(counter.BytesCount);
                stored = await chain.CompleteAsync().ConfigureAwait(false);
            }
            writer.DeclareSha256(stored.Sha256);
            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            dataCommitted = true;
            var manifest = new BackupManifest
            {
                Kind = "config",
                Tool = BackupService.ToolName,
                Database = request.Name,
                DataObject = name.FileName,
                RawBytes = stored.RawBytes,
                StoredBytes = stored.StoredBytes,
                Sha256 = stored.Sha256,
                StartedUtc = started,
                CompletedUtc = _clock.GetUtcNow().UtcDateTime,
                Contents = sources.Entries.Select(e => e.Name).Prepend("contents.json").ToList(),
            };
            format.Describe(manifest);
            await repository.PutAsync(name.ManifestKey, manifest.ToJson(), "application/json", StorageClasses.ForManifest(request.StorageClass), cancellationToken).ConfigureAwait(false);
            await claims.ReleaseAsync(repository, claim).ConfigureAwait(false);
            var info = BackupCatalog.ToInfo(manifest, repository, name, request.S3);
            _host.Verbose($"Configuration '{request.Name}' backed up to {info.Location}: {sources.Entries.Count} entr{(sources.Entries.Count == 1 ? "y" : "ies")}, {Format.Bytes(stored.StoredBytes)} stored{(format.Encryption == EncryptionKind.None ? "" : ", encrypted")}.");
            return info;
        }
        catch
        {
            await writer.AbortAsync().ConfigureAwait(false);
            if (dataCommitted)
                try { await repository.DeleteAsync(name.Key, CancellationToken.None).ConfigureAwait(false); } catch (Exception) { /* debris, for Clear-ClutterBackupDebris */ }
            await claims.ReleaseAsync(repository, claim).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task WriteTarAsync(Stream output, ConfigSources sources, DateTime started, CancellationToken cancellationToken)
    {
        await using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        var index = JsonSerializer.SerializeToUtf8Bytes(new { tool = BackupService.ToolName, createdUtc = started, entries = sources.Index }, new JsonSerializerOptions { WriteIndented = true });
        await WriteAsync(tar, new ConfigEntry("contents.json", index, null, Secret: false), started, cancellationToken).ConfigureAwait(false);
        foreach (var entry in sources.Entries) await WriteAsync(tar, entry, started, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteAsync(TarWriter tar, ConfigEntry entry, DateTime started, CancellationToken cancellationToken)
    {
        var mode = entry.Secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        await using var data = entry.Bytes is not null ? new MemoryStream(entry.Bytes, writable: false) : (Stream)File.OpenRead(entry.FilePath!);
        var tarEntry = new PaxTarEntry(TarEntryType.RegularFile, entry.Name)
        {
            DataStream = data,
            Mode = mode,
            ModificationTime = entry.FilePath is not null ? File.GetLastWriteTimeUtc(entry.FilePath) : started,
        };
        await tar.WriteEntryAsync(tarEntry, cancellationToken).ConfigureAwait(false);
    }
}
