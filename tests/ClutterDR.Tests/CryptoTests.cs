using System.Security;
using System.Text;
using ClutterDR.Catalog;
using ClutterDR.Crypto;
using ClutterDR.Database;
using ClutterDR.Protect;

namespace ClutterDR.Tests;

/// <summary>OpenPGP in memory (passphrase mode needs no key files): round trip, tamper and wrong-passphrase detection.
/// Interop with real gpg and key files is in tests/Pester/Encryption.Tests.ps1.</summary>
public class CryptoTests
{
    internal static SecureString Secure(string s)
    {
        var ss = new SecureString();
        foreach (var c in s) ss.AppendChar(c);
        ss.MakeReadOnly();
        return ss;
    }

    private static byte[] Encrypt(byte[] plain, string passphrase)
    {
        var plan = EncryptionPlan.Prepare(new EncryptionOptions { Passphrase = Secure(passphrase) });
        var output = new MemoryStream();
        using (var enc = plan.Open(output, "data.bin", DateTime.UtcNow))
        {
            // Odd-sized writes cross the 64 KiB partial-packet boundaries.
            for (var i = 0; i < plain.Length; i += 7919) enc.Write(plain, i, Math.Min(7919, plain.Length - i));
        }
        return output.ToArray();
    }

    private static byte[] Decrypt(byte[] cipher, string passphrase)
    {
        using var plain = OpenPgpReader.Open(new MemoryStream(cipher), new DecryptionOptions { Passphrase = Secure(passphrase) }, "test");
        var result = new MemoryStream();
        plain.CopyTo(result);
        return result.ToArray();
    }

    private static byte[] RandomBytes(int n)
    {
        var b = new byte[n];
        new Random(42).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65536)]
    [InlineData(1_000_003)]
    public void PassphraseRoundTripIsByteIdentical(int size)
    {
        var plain = RandomBytes(size);
        var cipher = Encrypt(plain, "correct horse ßattery");
        Assert.Equal(plain, Decrypt(cipher, "correct horse ßattery"));
        Assert.False(cipher.AsSpan().IndexOf(plain.AsSpan(0, Math.Min(size, 64))) >= 0 && size >= 64, "plain bytes visible in the ciphertext");
    }

    /// <summary>An RSA key ring made in memory: armored public and secret key text.</summary>
    internal static (string Public, string Secret) NewRsaKey(int? keyFlags = null)
    {
        Org.BouncyCastle.Bcpg.OpenPgp.PgpSignatureSubpacketVector? hashed = null;
        if (keyFlags is int flags)
        {
            var sub = new Org.BouncyCastle.Bcpg.OpenPgp.PgpSignatureSubpacketGenerator();
            sub.SetKeyFlags(false, flags);
            hashed = sub.Generate();
        }
        var kpg = new Org.BouncyCastle.Crypto.Generators.RsaKeyPairGenerator();
        kpg.Init(new Org.BouncyCastle.Crypto.Parameters.RsaKeyGenerationParameters(Org.BouncyCastle.Math.BigInteger.ValueOf(0x10001), new Org.BouncyCastle.Security.SecureRandom(), 2048, 12));
        var pair = new Org.BouncyCastle.Bcpg.OpenPgp.PgpKeyPair(Org.BouncyCastle.Bcpg.PublicKeyAlgorithmTag.RsaGeneral, kpg.GenerateKeyPair(), DateTime.UtcNow);
        var gen = new Org.BouncyCastle.Bcpg.OpenPgp.PgpKeyRingGenerator(Org.BouncyCastle.Bcpg.OpenPgp.PgpSignature.PositiveCertification, pair, "Test <t@example.com>",
            Org.BouncyCastle.Bcpg.SymmetricKeyAlgorithmTag.Null, (char[]?)null, true, hashed, null, new Org.BouncyCastle.Security.SecureRandom());
        static string Armor(Action<Stream> encode)
        {
            var ms = new MemoryStream();
            using (var a = new Org.BouncyCastle.Bcpg.ArmoredOutputStream(ms)) encode(a);
            return Encoding.ASCII.GetString(ms.ToArray());
        }
        return (Armor(s => gen.GeneratePublicKeyRing().Encode(s)), Armor(s => gen.GenerateSecretKeyRing().Encode(s)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheFastWriterIsUsedAndBouncyCastleReadsIt(bool withKey)
    {
        var (pub, sec) = NewRsaKey();
        var options = withKey ? new EncryptionOptions { Recipients = new[] { KeySource.FromText(pub) } } : new EncryptionOptions { Passphrase = Secure("fast path") };
        var plan = EncryptionPlan.Prepare(options);
        var plain = RandomBytes(700_001);
        var output = new MemoryStream();
        using (var enc = plan.Open(output, "x.dump", DateTime.UtcNow))
        {
            Assert.Equal("SeipdWriter", enc.GetType().Name); // not the BouncyCastle fallback
            for (var i = 0; i < plain.Length; i += 100_000) enc.Write(plain, i, Math.Min(100_000, plain.Length - i));
        }
        var decryption = withKey ? new DecryptionOptions { PrivateKey = KeySource.FromText(sec) } : new DecryptionOptions { Passphrase = Secure("fast path") };
        using var reader = OpenPgpReader.Open(new MemoryStream(output.ToArray()), decryption, "x");
        var back = new MemoryStream();
        reader.CopyTo(back);
        Assert.Equal(plain, back.ToArray());
    }

    [Theory]
    [InlineData("pässwörd", 0xFF)]
    [InlineData("x", 0x00)]
    [InlineData("a longer passphrase with spaces", 0x60)]
    public void OurS2kEqualsBouncyCastles(string passphrase, int count)
    {
        var salt = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var ours = SeipdWriter.IteratedSaltedSha256(salt, Encoding.UTF8.GetBytes(passphrase), count);
        var theirs = Org.BouncyCastle.Bcpg.OpenPgp.PgpUtilities.MakeKeyFromPassPhraseUtf8(Org.BouncyCastle.Bcpg.SymmetricKeyAlgorithmTag.Aes256,
            new Org.BouncyCastle.Bcpg.S2k(Org.BouncyCastle.Bcpg.HashAlgorithmTag.Sha256, salt, count), passphrase.ToCharArray()).GetKey();
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void APrivateKeyThatIsNoRecipientIsDecryptionKeyMismatch()
    {
        var (pub, _) = NewRsaKey();
        var (_, otherSecret) = NewRsaKey();
        var output = new MemoryStream();
        using (var enc = EncryptionPlan.Prepare(new EncryptionOptions { Recipients = new[] { KeySource.FromText(pub) } }).Open(output, "x", DateTime.UtcNow)) enc.Write(new byte[10]);
        var e = Assert.Throws<ClutterException>(() => OpenPgpReader.Open(new MemoryStream(output.ToArray()), new DecryptionOptions { PrivateKey = KeySource.FromText(otherSecret) }, "x"));
        Assert.Equal("DecryptionKeyMismatch", e.ErrorId);
    }

    [Fact]
    public void WrongPassphraseIsDecryptionFailedBeforeAnyData()
    {
        var cipher = Encrypt(RandomBytes(1000), "right");
        var e = Assert.Throws<ClutterException>(() => OpenPgpReader.Open(new MemoryStream(cipher), new DecryptionOptions { Passphrase = Secure("wrong") }, "test"));
        Assert.Equal("DecryptionFailed", e.ErrorId);
        Assert.DoesNotContain("right", e.Message);
        Assert.DoesNotContain("wrong", e.Message);
    }

    [Fact]
    public void AFlippedByteInTheDataFailsTheIntegrityCheck()
    {
        var cipher = Encrypt(RandomBytes(300_000), "pw");
        cipher[cipher.Length / 2] ^= 0x01;
        var e = Assert.Throws<ClutterException>(() => Decrypt(cipher, "pw"));
        Assert.Equal("DecryptionFailed", e.ErrorId);
    }

    [Fact]
    public void ATruncatedMessageFails()
    {
        var cipher = Encrypt(RandomBytes(300_000), "pw");
        var e = Assert.Throws<ClutterException>(() => Decrypt(cipher.AsSpan(0, cipher.Length - 1000).ToArray(), "pw"));
        Assert.Equal("DecryptionFailed", e.ErrorId);
    }

    [Fact]
    public void NoKeyGivenIsDecryptionKeyRequired()
    {
        var cipher = Encrypt(RandomBytes(10), "pw");
        var e = Assert.Throws<ClutterException>(() => OpenPgpReader.Open(new MemoryStream(cipher), new DecryptionOptions(), "x"));
        Assert.Equal("DecryptionKeyRequired", e.ErrorId);
        Assert.Contains("-Passphrase", e.Message);
    }

    [Fact]
    public void PlainDataIsNotEncrypted()
    {
        var e = Assert.Throws<ClutterException>(() => OpenPgpReader.Open(new MemoryStream(Encoding.ASCII.GetBytes("PGDMP not encrypted")), new DecryptionOptions { Passphrase = Secure("pw") }, "x"));
        Assert.Equal("NotEncrypted", e.ErrorId);
    }

    [Fact]
    public void AnEmptyPassphraseIsRefused()
    {
        var e = Assert.Throws<ClutterException>(() => EncryptionPlan.Prepare(new EncryptionOptions { Passphrase = new SecureString() }));
        Assert.Equal("PassphraseEmpty", e.ErrorId);
    }

    [Fact]
    public void AnRsaKeyFlaggedSignOnlyIsNoEncryptionKey()
    {
        // gpg's "rsa sign" key: an algorithm that could encrypt, key flags that say it must not.
        var (signOnly, _) = NewRsaKey(Org.BouncyCastle.Bcpg.OpenPgp.PgpKeyFlags.CanSign | Org.BouncyCastle.Bcpg.OpenPgp.PgpKeyFlags.CanCertify);
        var e = Assert.Throws<ClutterException>(() => OpenPgpKeys.LoadRecipients(new[] { KeySource.FromText(signOnly) }));
        Assert.Equal("NoEncryptionKey", e.ErrorId);
        var (encrypting, _) = NewRsaKey(Org.BouncyCastle.Bcpg.OpenPgp.PgpKeyFlags.CanSign | Org.BouncyCastle.Bcpg.OpenPgp.PgpKeyFlags.CanEncryptStorage);
        Assert.Single(OpenPgpKeys.LoadRecipients(new[] { KeySource.FromText(encrypting) }));
    }

    [Fact]
    public void AnEmptyPassphraseToDecryptWithIsRefused()
    {
        var e = Assert.Throws<ClutterException>(() => new DecryptionOptions { Passphrase = new SecureString() });
        Assert.Equal("PassphraseEmpty", e.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void AKeyFileThatIsNotAKeyIsInvalidKey()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a key");
            var e = Assert.Throws<ClutterException>(() => EncryptionPlan.Prepare(new EncryptionOptions { Recipients = new[] { KeySource.FromFile(path) } }));
            Assert.Equal("InvalidKey", e.ErrorId);
            Assert.Equal(path, e.Target);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AMissingKeyFileIsKeyNotFound()
    {
        var e = Assert.Throws<ClutterException>(() => EncryptionPlan.Prepare(new EncryptionOptions { Recipients = new[] { KeySource.FromFile("/nonexistent/key.asc") } }));
        Assert.Equal("KeyNotFound", e.ErrorId);
    }

    [Theory]
    [InlineData("-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc", true)]
    [InlineData("  \n-----BEGIN PGP PRIVATE KEY BLOCK-----", true)]
    [InlineData("./keys/ops.asc", false)]
    [InlineData("C:\\keys\\ops.gpg", false)]
    public void ArmoredTextIsToldFromAPath(string value, bool armored) => Assert.Equal(armored, KeySource.IsArmoredText(value));

    [Theory]
    [InlineData("/b/x.dump.gpg", "/b/x.dump")]
    [InlineData("/b/x.conf.ASC", "/b/x.conf")]
    [InlineData("/b/x.pgp", "/b/x")]
    [InlineData("/b/x.conf", null)]
    public void DecryptedNamesDropTheOpenPgpExtension(string input, string? expected) => Assert.Equal(expected, FileEncryption.UnprotectedName(input));

    [Fact]
    public void EncryptedBackupNamesEndInGpg() =>
        Assert.Equal("dump.zst.gpg", BackupName.ExtensionFor(DumpFormat.Custom, CompressionKind.Zstd, EncryptionKind.OpenPgp));
}

public class ArchiveTocTests
{
    private const string ListOutput = """
        ;
        ; Archive created at 2026-11-26 01:42:23 UTC
        ;     dbname: smoke
        ;
        216; 1259 16390 TABLE public users postgres
        3405; 0 16390 TABLE DATA public users postgres
        3406; 0 16401 TABLE DATA Odd Schema Mixed Name postgres
        3407; 0 16402 SEQUENCE SET public users_id_seq postgres
        """;

    [Theory]
    [InlineData("public", "users", true)]
    [InlineData("Odd Schema", "Mixed Name", true)]
    [InlineData("public", "user", false)]
    [InlineData("public", "users_id_seq", false)]
    public void PgRestoreListHasTableData(string schema, string name, bool expected) =>
        Assert.Equal(expected, ArchiveToc.Contains(ListOutput, DumpFormat.Custom, schema, name));

    [Fact]
    public void SqlScannerFindsCopyLinesAcrossBufferBoundaries()
    {
        var sql = "SET x = 1;\nCOPY public.users (id, name) FROM stdin;\n1\tCOPY fake.row (x) FROM\n\\.\n\nCOPY \"Odd Schema\".\"Mixed Name\" (a) FROM stdin;\n\\.\n" +
                  new string('x', 100_000) + "\nCOPY public.\"select\" (a) FROM stdin;\n";
        var bytes = Encoding.UTF8.GetBytes(sql);
        var scanner = new SqlTocScanner();
        for (var i = 0; i < bytes.Length; i += 13) scanner.Feed(bytes.AsSpan(i, Math.Min(13, bytes.Length - i)));
        var toc = scanner.Result();
        Assert.True(ArchiveToc.Contains(toc, DumpFormat.Plain, "public", "users"));
        Assert.True(ArchiveToc.Contains(toc, DumpFormat.Plain, "Odd Schema", "Mixed Name"));
        Assert.True(ArchiveToc.Contains(toc, DumpFormat.Plain, "public", "select"));
        Assert.False(ArchiveToc.Contains(toc, DumpFormat.Plain, "public", "orders"));
        Assert.False(ArchiveToc.Contains(toc, DumpFormat.Plain, "fake", "row")); // a data row, not a statement
    }
}
