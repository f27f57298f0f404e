using System.Reflection;
using System.Runtime.CompilerServices;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using ClutterDR.Catalog;
using ClutterDR.Crypto;

namespace ClutterDR.Streams;

/// <summary>
/// The stored format, and the one owner of its chain: on write, data -> compress (a <see cref="ICodec"/>) ->
/// [OpenPGP encrypt] -> [armor] -> SHA-256 and size of the stored bytes -> destination; on read the same
/// backwards. It owns the data object's extension, the manifest fields that describe the format, and which
/// exceptions mean the stored data is damaged (<see cref="IsDataError"/>, <see cref="StoredDamage"/>).
/// </summary>
public sealed class StoredFormat
{
    /// <summary>Every codec in the engine, as each registers itself (<see cref="StoredCodecAttribute"/>): a new codec is one file.</summary>
    private static readonly IReadOnlyDictionary<CompressionKind, ICodec> Registry = FindCodecs();

    public StoredFormat(CompressionKind compression, int level, EncryptionPlan? encryption)
        : this(compression, level, encryption is null ? EncryptionKind.None : EncryptionKind.OpenPgp, encryption) { }

    private StoredFormat(CompressionKind compression, int level, EncryptionKind encryption, EncryptionPlan? plan)
    {
        Codec = CodecOf(compression); Level = level; Encryption = encryption; Plan = plan;
    }

    /// <summary>The format a manifest records, for reading (no key: reading takes DecryptionOptions).</summary>
    public static StoredFormat Of(BackupManifest manifest) =>
        new(manifest.Compression, manifest.CompressionLevel ?? 0, manifest.Encryption.Mode, null);

    /// <summary>An OpenPGP message of any file (Protect-/Unprotect-ClutterFile): no compression of its own.</summary>
    public static StoredFormat OpenPgpFile(EncryptionPlan? plan) => new(CompressionKind.None, 0, EncryptionKind.OpenPgp, plan);

    public ICodec Codec { get; }
    public int Level { get; }
    public EncryptionKind Encryption { get; }
    /// <summary>The keys to encrypt to (writing only).</summary>
    public EncryptionPlan? Plan { get; }

    public static ICodec CodecOf(CompressionKind kind) =>
        Registry.TryGetValue(kind, out var codec) ? codec : throw new ArgumentOutOfRangeException(nameof(kind), kind, "No codec for this compression.");

    public static IEnumerable<ICodec> Codecs => Registry.Values;

    /// <summary>The level to compress at: the given one when it is in the codec's range, else InvalidCompressionLevel.</summary>
    public static int CheckLevel(CompressionKind kind, int? requested)
    {
        var codec = CodecOf(kind);
        var level = requested ?? codec.DefaultLevel;
        var (minLevel, maxLevel) = codec.Levels;
        if (requested is not null && (level < minLevel || level > maxLevel))
            throw new ClutterException(Errors.InvalidCompressionLevel,
                kind == CompressionKind.None
                    ? "-CompressionLevel needs -Compression Zstd or Gzip."
                    : $"-CompressionLevel {level} is out of range for {kind}: use {minLevel} to {maxLevel}.", level);
        return level;
    }

    /// <summary>The data object's extension: dump or sql, then the codec's (.zst, .gz), then .gpg when encrypted.</summary>
    public static string Extension(DumpFormat format, CompressionKind compression, EncryptionKind encryption)
    {
        var extension = format == DumpFormat.Custom ? "dump" : "sql";
        if (CodecOf(compression).Extension is string codec) extension += "." + codec;
        if (encryption == EncryptionKind.OpenPgp) extension += ".gpg";
        return extension;
    }

    public string ExtensionFor(DumpFormat format) => Extension(format, Codec.Kind, Encryption);

    /// <summary>Writes the manifest's fields that describe this format: compression, level and encryption.</summary>
    public void Describe(BackupManifest manifest)
    {
        manifest.Compression = Codec.Kind;
        manifest.CompressionLevel = Codec.Kind == CompressionKind.None ? null : Level;
        manifest.Encryption = Plan is null ? new ManifestEncryption() : new ManifestEncryption
        {
            Mode = EncryptionKind.OpenPgp,
            Method = Plan.Method,
            Algorithm = "AES256",
            RecipientFingerprints = Plan.Recipients.Count > 0 ? Plan.Recipients.Select(r => r.Fingerprint).Distinct().ToList() : null,
        };
    }

    /// <summary>
    /// The write chain over <paramref name="destination"/> (left open). <paramref name="fileName"/> and
    /// <paramref name="modifiedUtc"/> go into the OpenPGP literal packet; <paramref name="armor"/> writes ASCII armor;
    /// <paramref name="hash"/> false skips the SHA-256 of the stored bytes where nothing records it.
    /// </summary>
    public StoredWriter OpenWrite(Stream destination, string fileName, DateTime modifiedUtc, bool armor = false, bool hash = true)
    {
        var hashing = hash ? new HashingStream(destination) : null;
        Stream? armored = null, encrypted = null;
        try
        {
            Stream target = hashing ?? destination;
            if (armor) target = armored = Armor(target);
            if (Plan is not null) target = encrypted = Plan.Open(target, fileName, modifiedUtc);
            return new StoredWriter(hashing, armored, encrypted, Codec.WrapForWrite(target, Level));
        }
        catch
        {
            encrypted?.Dispose(); armored?.Dispose(); hashing?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The read chain over the stored bytes (left open): [armor, when <paramref name="detectArmor"/>] -> [decrypt]
    /// -> decompress. The key is checked against the message header before this returns.
    /// </summary>
    public Stream OpenRead(Stream stored, DecryptionOptions decryption, string target, bool detectArmor = false)
    {
        var data = stored;
        if (Encryption == EncryptionKind.OpenPgp)
            data = OpenPgpReader.Open(detectArmor ? Dearmor(stored) : stored, decryption, target);
        return Codec.WrapForRead(data);
    }

    /// <summary>True when an exception means the stored data could not be decrypted or decompressed.</summary>
    public static bool IsDataError(Exception e) =>
        e is EndOfStreamException
        || e is ClutterException { ErrorId: "DecryptionFailed" or "NotEncrypted" }
        || Registry.Values.Any(c => c.IsDataError(e));

    // BouncyCastle types in methods of their own (not inlined): a backup without encryption never loads its assembly.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Stream Armor(Stream output) => new ArmoredOutputStream(output);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Stream Dearmor(Stream input) => PgpUtilities.GetDecoderStream(input);

    private static Dictionary<CompressionKind, ICodec> FindCodecs() =>
        typeof(ICodec).Assembly.GetCustomAttributes<StoredCodecAttribute>()
            .Select(r => (ICodec)Activator.CreateInstance(r.Codec, nonPublic: true)!)
            .ToDictionary(c => c.Kind);
}
