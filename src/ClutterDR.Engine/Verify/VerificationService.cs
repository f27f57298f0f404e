using System.Diagnostics;
using System.Text;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Repository;
using ClutterDR.Storage;
using ClutterDR.Streams;

namespace ClutterDR.Verify;

public sealed record VerificationRequest
{
    /// <summary>Location of one backup's data object (or its manifest).</summary>
    public required BackupLocation Backup { get; init; }
    public S3Options S3 { get; init; } = new();
    public DecryptionOptions Decryption { get; init; } = new();
    /// <summary>Also read the archive's table of contents (pg_restore --list) and look for every table.</summary>
    public bool Deep { get; init; }
}

/// <summary>
/// Test-ClutterBackup: reads a stored backup to its end once and checks it: size and SHA-256 against
/// the manifest; decryption (with a key) and decompression to the end (the guide's gunzip -t);
/// with Deep the archive's table of contents against the manifest's tables. Each failure is a check
/// with the ErrorId a script can match.
/// </summary>
public sealed class VerificationService
{
    private readonly IEngineHost _sink;
    public VerificationService(IEngineHost sink) => _sink = sink;

    public async Task<BackupVerification> RunAsync(VerificationRequest request, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var checks = new List<VerificationCheck>();
        var failures = new List<ClutterException>();
        void Pass(string name, string detail) => checks.Add(new VerificationCheck { Name = name, Status = VerificationStatus.Passed, Detail = detail });
        void Skip(string name, string detail) => checks.Add(new VerificationCheck { Name = name, Status = VerificationStatus.Skipped, Detail = detail });
        void Fail(string name, ClutterException e)
        {
            checks.Add(new VerificationCheck { Name = name, Status = VerificationStatus.Failed, Detail = e.Message, ErrorId = e.ErrorId });
            failures.Add(e);
        }

        var (parent, objectName) = request.Backup.SplitBackup();
        using var repository = BackupRepository.Open(parent, request.S3);
        var backupText = repository.Describe(objectName);

        BackupManifest manifest;
        try
        {
            manifest = await BackupCatalog.ReadManifestAsync(repository, objectName + BackupName.ManifestSuffix, cancellationToken).ConfigureAwait(false);
            Pass("Manifest", $"{manifest.Database}, {manifest.Tables.Count} tables, created {manifest.StartedUtc:u}");
            _sink.Verbose($"Read the manifest {repository.Describe(objectName + BackupName.ManifestSuffix)}: {manifest.Database}, {manifest.Tables.Count} tables, {Format.Bytes(manifest.StoredBytes)} stored in {manifest.DataObject}.");
        }
        catch (ClutterException e) when (e.Is(Errors.ManifestNotFound) || e.Is(Errors.ManifestInvalid))
        {
            Fail("Manifest", e);
            return new BackupVerification { Location = backupText, Checks = checks.ToArray(), Duration = watch.Elapsed, Problems = failures };
        }
        var info = BackupCatalog.ToInfo(manifest, repository, BackupName.TryParse(objectName)!, request.S3, objectName + BackupName.ManifestSuffix);

        var encrypted = manifest.Encryption.Mode != EncryptionKind.None;
        var decode = !encrypted || request.Decryption.Given;
        _sink.Verbose($"Reading the backup object {backupText} to its end ({Format.Bytes(manifest.StoredBytes)}){(decode ? "" : ", without decrypting it")}.");
        var progress = new ByteProgress(_sink, $"Verifying {backupText}", manifest.StoredBytes);
        try
        {
            BackupReader? reader = null;
            if (decode)
            {
                try
                {
                    reader = await BackupReader.OpenAsync(repository, objectName, manifest, request.Decryption, backupText, cancellationToken).ConfigureAwait(false);
                }
                catch (ClutterException e) when (e.Is(Errors.BackupTruncated) || e.Is(Errors.ChecksumMismatch))
                {
                    Fail(e.Is(Errors.BackupTruncated) ? "Size" : "Checksum", e); // a damaged header, and the stored bytes say why
                    return Done();
                }
                catch (ClutterException e) when (encrypted && e.Kind is not FailureKind.ConnectionError and not FailureKind.PermissionDenied
                                                  && !(e.Is(Errors.LocationNotFound) || e.Is(Errors.S3AccessDenied) || e.Is(Errors.S3RequestFailed)))
                {
                    Fail("Decrypt", e); // wrong key or passphrase: the stored bytes can still be checked
                }
            }
            else
            {
                Skip("Decrypt", "Encrypted backup and no -PrivateKey or -Passphrase given: size and SHA-256 checked only.");
            }

            reader ??= await BackupReader.OpenStoredAsync(repository, objectName, manifest, backupText, cancellationToken).ConfigureAwait(false);
            await using (reader)
            {
                var decoding = reader.Plain != Stream.Null;
                var deep = request.Deep && decoding;
                long rawBytes = 0;
                ClutterException? dataError = null;
                string? toc = null;
                ClutterException? archiveError = null;
                if (decoding)
                {
                    try
                    {
                        (rawBytes, toc, archiveError) = await ReadPlainAsync(reader, manifest, deep, n => progress.Report(n), _sink.Verbose, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (StoredFormat.IsDataError(e))
                    {
                        dataError = await reader.ExplainAsync(e, cancellationToken).ConfigureAwait(false);
                    }
                }
                var stored = dataError is { ErrorId: "BackupTruncated" or "ChecksumMismatch" } ? dataError
                    : await reader.FinishAsync(n => progress.Report(n), cancellationToken).ConfigureAwait(false);

                // The stored object against the manifest.
                if (stored is { ErrorId: "BackupTruncated" }) Fail("Size", stored);
                else if (reader.Stored.BytesCount != manifest.StoredBytes)
                    Fail("Size", new ClutterException(Errors.ChecksumMismatch, stored!.Message, backupText));
                else Pass("Size", $"{Format.Bytes(manifest.StoredBytes)} ({manifest.StoredBytes} bytes), as the manifest records");
                if (stored is { ErrorId: "ChecksumMismatch" }) Fail("Checksum", stored);
                else if (stored is null) Pass("Checksum", $"SHA-256 {manifest.Sha256}");
                else Skip("Checksum", "The object is shorter than the manifest records.");

                if (decoding && encrypted)
                {
                    if (dataError is { ErrorId: "DecryptionFailed" or "NotEncrypted" }) Fail("Decrypt", dataError);
                    else if (stored is null) Pass("Decrypt", $"OpenPGP {manifest.Encryption.Algorithm ?? ""}, integrity check (MDC) passed");
                    else Skip("Decrypt", "The stored object is damaged.");
                }
                if (!decoding) Skip("Decompress", encrypted ? "Needs the key or passphrase." : "");
                else if (dataError is { ErrorId: "BackupCorrupt" }) Fail("Decompress", dataError);
                else if (dataError is not null || stored is not null) Skip("Decompress", "The stored object is damaged.");
                else if (rawBytes != manifest.RawBytes)
                    Fail("Decompress", new ClutterException(Errors.BackupCorrupt,
                        $"The backup '{backupText}' decompresses to {rawBytes} bytes, not the {manifest.RawBytes} its manifest records. Use an older backup (Get-ClutterBackup).", backupText));
                else Pass("Decompress", $"{manifest.Compression} to the end: {Format.Bytes(rawBytes)} ({rawBytes} bytes), as the manifest records");

                if (!request.Deep) { }
                else if (!deep || dataError is not null || stored is not null) Skip("Archive", decoding ? "The stored object is damaged." : "Needs the key or passphrase.");
                else if (archiveError is not null) Fail("Archive", archiveError);
                else CheckArchive(manifest, toc!, backupText, Pass, Fail);
            }
        }
        finally
        {
            progress.Complete();
        }
        return Done();

        BackupVerification Done() =>
            new() { Backup = info, Location = info.Location, Checks = checks.ToArray(), Duration = watch.Elapsed, Problems = failures };
    }

    /// <summary>
    /// Reads the dump to its end, counting its bytes; with <paramref name="deep"/> also feeds it to
    /// pg_restore --list (custom) or scans its SQL (plain) and returns the table of contents found.
    /// </summary>
    private static async Task<(long Raw, string? Toc, ClutterException? ArchiveError)> ReadPlainAsync(BackupReader reader, BackupManifest manifest, bool deep, Action<long> progress, Action<string> verbose, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        long raw = 0;
        if (!deep)
        {
            int n;
            while ((n = await reader.Plain.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) { raw += n; progress(reader.Stored.BytesCount); }
            return (raw, null, null);
        }
        if (manifest.Format == DumpFormat.Plain)
        {
            var scanner = new SqlTocScanner();
            int n;
            while ((n = await reader.Plain.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                raw += n; scanner.Feed(buffer.AsSpan(0, n)); progress(reader.Stored.BytesCount);
            }
            return (raw, scanner.Result(), null);
        }

        var tool = PgRestore.Find(manifest.PgDumpVersion);
        verbose($"Using {tool.Description} to list the archive's table of contents.");
        using var proc = PgRestore.StartOnArchive(tool, PgRestore.ListArguments);
        var listing = Task.Run(async () =>
        {
            using var text = new StreamReader(proc.StandardOutput, Encoding.UTF8);
            return await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
        var open = true;
        try
        {
            int n;
            while ((n = await reader.Plain.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                raw += n;
                progress(reader.Stored.BytesCount);
                if (!open) continue;
                try { await proc.StandardInput.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false); }
                catch (IOException) { open = false; } // pg_restore --list has read the table of contents it needs
            }
            if (open) try { proc.StandardInput.Close(); } catch (IOException) { }
        }
        catch
        {
            proc.Kill();
            throw;
        }
        var exit = await proc.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var toc = await listing.ConfigureAwait(false);
        if (exit != 0)
            return (raw, null, new ClutterException(Errors.ArchiveUnreadable,
                $"pg_restore --list cannot read the archive of '{reader.BackupText}' ({PgProcess.DescribeExit(exit)}): {proc.StandardErrorTail}", reader.BackupText));
        return (raw, toc, null);
    }

    private static void CheckArchive(BackupManifest manifest, string toc, string backupText, Action<string, string> pass, Action<string, ClutterException> fail)
    {
        var missing = manifest.Tables.Where(t => !ArchiveToc.Contains(toc, manifest.Format, t.Schema, t.Name)).Select(t => t.QualifiedName).ToList();
        if (missing.Count == 0)
            pass("Archive", $"{(manifest.Format == DumpFormat.Custom ? "pg_restore --list" : "SQL")} has all {manifest.Tables.Count} tables of the manifest");
        else
            fail("Archive", new ClutterException(Errors.ArchiveIncomplete,
                $"The archive of '{backupText}' lacks {missing.Count} of the manifest's {manifest.Tables.Count} tables: {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", ..." : "")}.", backupText));
    }
}
