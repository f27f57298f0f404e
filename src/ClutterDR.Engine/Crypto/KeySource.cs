using System.Text;

namespace ClutterDR.Crypto;

/// <summary>
/// Where an OpenPGP key comes from: a file (armored or binary, read in place, never copied) or armored
/// text given inline. Display names it in messages; it never holds secret material.
/// </summary>
public sealed class KeySource
{
    private KeySource(string display, string? path, string? text)
    {
        Display = display; Path = path; Text = text;
    }

    public string Display { get; }
    public string? Path { get; }
    public string? Text { get; }

    public static KeySource FromFile(string path) => new(path, path, null);
    public static KeySource FromText(string text) => new("the armored key text", null, text);

    /// <summary>True for "-----BEGIN PGP ..." text (an inline key), false for anything else (a path).</summary>
    public static bool IsArmoredText(string value) =>
        value.TrimStart().StartsWith("-----BEGIN PGP ", StringComparison.Ordinal);

    /// <summary>A seekable stream of the key's bytes (armor detection needs to look ahead).</summary>
    internal Stream Open()
    {
        if (Text is not null) return new MemoryStream(Encoding.UTF8.GetBytes(Text), writable: false);
        if (Directory.Exists(Path))
            throw new ClutterException(Errors.KeyNotFound,
                $"'{Path}' is a folder, not a key file. Give the path of the exported key file (gpg --export --armor KEYID > key.asc) or the armored key text.", Path);
        try
        {
            return new FileStream(Path!, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ClutterException(Errors.KeyNotFound,
                $"The key file '{Path}' does not exist. Give the path of an exported key (gpg --export --armor KEYID > key.asc) or the armored key text.", Path, e);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ClutterException(Errors.KeyNotReadable,
                $"The key file '{Path}' cannot be read: {e.Message}", Path, e);
        }
    }

    public override string ToString() => Display;
}
