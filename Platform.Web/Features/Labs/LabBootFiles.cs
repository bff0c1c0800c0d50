using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Platform.Web.Features.Labs;

/// <summary>A boot file as the browser sees it: fetched by its content hash, so it is cached for good.</summary>
public sealed record BootFile(string Sha256, long Bytes, string Path);

/// <summary>
/// The kernel and initramfs files the browser client downloads, named by their SHA-256. Hashing 7 MB
/// takes tens of milliseconds, so a file's hash is remembered until its size or time stamp changes
/// (scripts/guest/build-guest-images.sh replaces the files when it rebuilds them).
/// </summary>
public sealed class LabBootFiles
{
    private readonly ConcurrentDictionary<string, (long Length, DateTime Written, BootFile File)> _known = new();

    public BootFile Describe(string path)
    {
        var info = new FileInfo(path);
        if (_known.TryGetValue(path, out var seen) && seen.Length == info.Length && seen.Written == info.LastWriteTimeUtc)
            return seen.File;
        using var stream = info.OpenRead();
        var file = new BootFile(Convert.ToHexStringLower(SHA256.HashData(stream)), info.Length, path);
        _known[path] = (info.Length, info.LastWriteTimeUtc, file);
        return file;
    }

    /// <summary>The file with this hash among those described so far, or null.</summary>
    public BootFile? Find(string sha256) =>
        _known.Values.Select(v => v.File).FirstOrDefault(f => f.Sha256 == sha256 && File.Exists(f.Path));
}
