namespace ClutterDR.Sync;

/// <summary>
/// Content-Type of an uploaded file by its extension, so that media synced to a bucket that serves
/// it (Supabase Storage) keeps working in browsers. Objects copied from S3 keep their own type.
/// </summary>
internal static class ContentTypes
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".png"] = "image/png", [".gif"] = "image/gif", [".webp"] = "image/webp",
        [".avif"] = "image/avif", [".heic"] = "image/heic", [".svg"] = "image/svg+xml", [".ico"] = "image/x-icon", [".bmp"] = "image/bmp",
        [".tif"] = "image/tiff", [".tiff"] = "image/tiff",
        [".mp4"] = "video/mp4", [".webm"] = "video/webm", [".mov"] = "video/quicktime", [".mp3"] = "audio/mpeg", [".wav"] = "audio/wav",
        [".ogg"] = "audio/ogg", [".m4a"] = "audio/mp4",
        [".pdf"] = "application/pdf", [".json"] = "application/json", [".xml"] = "application/xml", [".zip"] = "application/zip",
        [".gz"] = "application/gzip", [".zst"] = "application/zstd", [".csv"] = "text/csv", [".txt"] = "text/plain", [".md"] = "text/markdown",
        [".html"] = "text/html", [".htm"] = "text/html", [".css"] = "text/css", [".js"] = "text/javascript", [".mjs"] = "text/javascript",
        [".woff"] = "font/woff", [".woff2"] = "font/woff2", [".ttf"] = "font/ttf", [".otf"] = "font/otf",
    };

    public static string Of(string key)
    {
        var slash = key.LastIndexOf('/');
        var dot = key.LastIndexOf('.');
        return dot > slash && ByExtension.TryGetValue(key.Substring(dot), out var type) ? type : "application/octet-stream";
    }
}
