using System.Security;
using System.Security.Cryptography;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Streams;

namespace ClutterDR.Tests;

/// <summary>The stored format's one chain: every codec with and without encryption, what it reports, and how damage is named.</summary>
public class StoredFormatTests
{
    private static SecureString Secure(string s) => CryptoTests.Secure(s);

    private static readonly Lazy<(string Public, string Secret)> Key = new(() => CryptoTests.NewRsaKey());

    private static byte[] Data()
    {
        var data = new byte[2_500_000];
        new Random(7).NextBytes(data.AsSpan(0, 800_000)); // part random, part compressible zeros
        return data;
    }

    private static (StoredFormat Format, DecryptionOptions Decryption) Format(CompressionKind kind, string encryption)
    {
        var level = StoredFormat.CheckLevel(kind, null);
        return encryption switch
        {
            "passphrase" => (new StoredFormat(kind, level, EncryptionPlan.Prepare(new EncryptionOptions { Passphrase = Secure("stored format") })),
                new DecryptionOptions { Passphrase = Secure("stored format") }),
            "key" => (new StoredFormat(kind, level, EncryptionPlan.Prepare(new EncryptionOptions { Recipients = new[] { KeySource.FromText(Key.Value.Public) } })),
                new DecryptionOptions { PrivateKey = KeySource.FromText(Key.Value.Secret) }),
            _ => (new StoredFormat(kind, level, null), new DecryptionOptions()),
        };
    }

    private static async Task<(byte[] Stored, StoredResult Result, BackupManifest Manifest)> WriteAsync(StoredFormat format, byte[] data)
    {
        var stored = new MemoryStream();
        StoredResult result;
        await using (var chain = format.OpenWrite(stored, "x.dump", DateTime.UtcNow))
        {
            await chain.PumpAsync(new MemoryStream(data), null, CancellationToken.None);
            result = await chain.CompleteAsync();
        }
        var manifest = new BackupManifest { StoredBytes = result.StoredBytes, Sha256 = result.Sha256 };
        format.Describe(manifest);
        return (stored.ToArray(), result, manifest);
    }

    private static async Task<byte[]> ReadAsync(BackupManifest manifest, byte[] stored, DecryptionOptions decryption)
    {
        var back = new MemoryStream();
        await using (var plain = StoredFormat.Of(manifest).OpenRead(new MemoryStream(stored), decryption, "test"))
            await plain.CopyToAsync(back);
        return back.ToArray();
    }

    [Theory]
    [InlineData(CompressionKind.Zstd, "none")]
    [InlineData(CompressionKind.Zstd, "passphrase")]
    [InlineData(CompressionKind.Zstd, "key")]
    [InlineData(CompressionKind.Gzip, "none")]
    [InlineData(CompressionKind.Gzip, "passphrase")]
    [InlineData(CompressionKind.Gzip, "key")]
    [InlineData(CompressionKind.None, "none")]
    [InlineData(CompressionKind.None, "passphrase")]
    [InlineData(CompressionKind.None, "key")]
    public async Task EveryCodecAndEncryptionRoundTripsAndReportsSizesAndSha256(CompressionKind kind, string encryption)
    {
        var data = Data();
        var (format, decryption) = Format(kind, encryption);
        var (stored, result, manifest) = await WriteAsync(format, data);

        Assert.Equal(data.Length, result.RawBytes);
        Assert.Equal(stored.Length, result.StoredBytes);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(stored)).ToLowerInvariant(), result.Sha256);
        if (kind != CompressionKind.None) Assert.True(stored.Length < data.Length);
        Assert.Equal(kind, manifest.Compression);
        Assert.Equal(kind == CompressionKind.None ? null : StoredFormat.CodecOf(kind).DefaultLevel, manifest.CompressionLevel);
        Assert.Equal(encryption == "none" ? EncryptionKind.None : EncryptionKind.OpenPgp, manifest.Encryption.Mode);
        if (encryption != "none")
        {
            Assert.Equal("AES256", manifest.Encryption.Algorithm);
            Assert.Equal(encryption == "key" ? "PublicKey" : "Passphrase", manifest.Encryption.Method);
            Assert.Equal(encryption == "key" ? 1 : 0, manifest.Encryption.RecipientFingerprints?.Count ?? 0);
        }
        Assert.Equal(data, await ReadAsync(manifest, stored, decryption));
    }

    [Theory]
    [InlineData(DumpFormat.Custom, CompressionKind.Zstd, EncryptionKind.None, "dump.zst")]
    [InlineData(DumpFormat.Custom, CompressionKind.Zstd, EncryptionKind.OpenPgp, "dump.zst.gpg")]
    [InlineData(DumpFormat.Plain, CompressionKind.Gzip, EncryptionKind.None, "sql.gz")]
    [InlineData(DumpFormat.Plain, CompressionKind.None, EncryptionKind.OpenPgp, "sql.gpg")]
    [InlineData(DumpFormat.Custom, CompressionKind.None, EncryptionKind.None, "dump")]
    public void TheExtensionComesFromTheFormat(DumpFormat dump, CompressionKind kind, EncryptionKind encryption, string extension)
    {
        Assert.Equal(extension, StoredFormat.Extension(dump, kind, encryption));
        Assert.Equal(extension, BackupName.ExtensionFor(dump, kind, encryption));
    }

    [Fact]
    public void TheRegistryHasACodecForEveryCompression()
    {
        foreach (var kind in Enum.GetValues<CompressionKind>()) Assert.Equal(kind, StoredFormat.CodecOf(kind).Kind);
        Assert.Equal(Enum.GetValues<CompressionKind>().Length, StoredFormat.Codecs.Count());
    }

    [Theory]
    [InlineData(CompressionKind.Zstd, 20, "-CompressionLevel 20 is out of range for Zstd: use 1 to 19.")]
    [InlineData(CompressionKind.Gzip, 0, "-CompressionLevel 0 is out of range for Gzip: use 1 to 9.")]
    [InlineData(CompressionKind.None, 1, "-CompressionLevel needs -Compression Zstd or Gzip.")]
    public void ALevelOutOfRangeIsRefused(CompressionKind kind, int level, string message)
    {
        var e = Assert.Throws<ClutterException>(() => StoredFormat.CheckLevel(kind, level));
        Assert.Equal("InvalidCompressionLevel", e.ErrorId);
        Assert.Equal(message, e.Message);
        Assert.Equal(19, StoredFormat.CheckLevel(CompressionKind.Zstd, 19));
        Assert.Equal(1, StoredFormat.CheckLevel(CompressionKind.Zstd, null));
    }

    [Theory]
    [InlineData(CompressionKind.Zstd, "none", "BackupCorrupt")]
    [InlineData(CompressionKind.Gzip, "none", "BackupCorrupt")]
    [InlineData(CompressionKind.Zstd, "passphrase", "BackupCorrupt")] // CFB: the codec sees the garbled block before the MDC
    [InlineData(CompressionKind.None, "passphrase", "DecryptionFailed")]
    public async Task ACorruptedStoredStreamIsADataErrorAndAChecksumMismatch(CompressionKind kind, string encryption, string errorId)
    {
        var (format, decryption) = Format(kind, encryption);
        var (stored, _, manifest) = await WriteAsync(format, Data());
        stored[stored.Length / 3] ^= 0x40;
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ReadAsync(manifest, stored, decryption));
        Assert.True(StoredFormat.IsDataError(e), e.GetType().Name + ": " + e.Message);
        Assert.Equal(errorId, StoredDamage.DataError(e, "b").ErrorId);
        var mismatch = StoredDamage.Mismatch(stored.Length, Convert.ToHexString(SHA256.HashData(stored)).ToLowerInvariant(), manifest, "b");
        Assert.Equal("ChecksumMismatch", mismatch?.ErrorId);
    }

    [Theory]
    [InlineData(CompressionKind.Zstd, "none")]
    [InlineData(CompressionKind.Zstd, "key")]
    public async Task ATruncatedStoredStreamIsADataErrorAndBackupTruncated(CompressionKind kind, string encryption)
    {
        var (format, decryption) = Format(kind, encryption);
        var (stored, result, manifest) = await WriteAsync(format, Data());
        var cut = stored[..(stored.Length / 2)];
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ReadAsync(manifest, cut, decryption));
        Assert.True(StoredFormat.IsDataError(e), e.GetType().Name + ": " + e.Message);
        var mismatch = StoredDamage.Mismatch(cut.Length, Convert.ToHexString(SHA256.HashData(cut)).ToLowerInvariant(), manifest, "b");
        Assert.Equal("BackupTruncated", mismatch?.ErrorId);
        Assert.Contains($"{cut.Length} of the {result.StoredBytes} bytes", mismatch!.Message);
        Assert.Null(StoredDamage.Mismatch(stored.Length, result.Sha256, manifest, "b"));
    }

    [Fact]
    public void OtherExceptionsAreNoDataErrors()
    {
        Assert.False(StoredFormat.IsDataError(new IOException("broken pipe")));
        Assert.False(StoredFormat.IsDataError(new ClutterException(Errors.S3RequestFailed, "x", null)));
        Assert.True(StoredFormat.IsDataError(new EndOfStreamException()));
        Assert.True(StoredFormat.IsDataError(new InvalidDataException()));
    }
}
