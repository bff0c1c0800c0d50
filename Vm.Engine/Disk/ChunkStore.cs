namespace Vm.Engine.Disk;

/// <summary>
/// Immutable content-addressed chunks, named by their SHA-256. A chunk once stored never changes,
/// so any cache, CDN or object store can hold it forever.
/// </summary>
public interface IChunkStore
{
    bool Has(string hash);
    /// <summary>The chunk's bytes, or null when the store does not hold it.</summary>
    byte[]? Get(string hash);
    /// <summary>Stores <paramref name="data"/> under its hash and returns the hash; storing a chunk that exists is a no-op.</summary>
    string Put(ReadOnlySpan<byte> data);
}

/// <summary>
/// Chunks as files: <c>ROOT/ab/cd/abcd…</c> (two levels of 256 folders keep folders small for
/// millions of chunks). Writes go to a temporary file first and are renamed into place, so a
/// reader sees a whole chunk or none, and a build that dies leaves at most unused whole chunks.
/// </summary>
public sealed class FileChunkStore : IChunkStore
{
    private readonly string tempFolder;

    public FileChunkStore(string root)
    {
        Root = Path.GetFullPath(root);
        tempFolder = Path.Combine(Root, ".tmp");
        Directory.CreateDirectory(tempFolder);
    }

    public string Root { get; }

    /// <summary>Where the chunk lives (whether or not it exists). The hash is validated, so the path never leaves the root.</summary>
    public string PathOf(string hash)
    {
        ChunkHash.Require(hash);
        return Path.Combine(Root, hash[..2], hash[2..4], hash);
    }

    public bool Has(string hash) => File.Exists(PathOf(hash));

    public byte[]? Get(string hash)
    {
        try
        {
            return File.ReadAllBytes(PathOf(hash));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public string Put(ReadOnlySpan<byte> data)
    {
        var hash = ChunkHash.Of(data);
        PutHashed(hash, data);
        return hash;
    }

    /// <summary>For writers that hashed the bytes already (the image writer): saves hashing twice.</summary>
    internal void PutHashed(string hash, ReadOnlySpan<byte> data)
    {
        var path = PathOf(hash);
        if (File.Exists(path))
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, data, tempFolder);
    }

    /// <summary>Every stored chunk's hash (for tools and tests; walks the folders).</summary>
    public IEnumerable<string> Enumerate() =>
        Directory.Exists(Root)
            ? Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Select(p => Path.GetFileName(p)).Where(ChunkHash.IsValid)
            : [];
}

/// <summary>Chunks in memory, for tests and for short-lived tools.</summary>
public sealed class MemoryChunkStore : IChunkStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> chunks = new();

    public int Count => chunks.Count;
    public bool Has(string hash) => chunks.ContainsKey(hash);
    public byte[]? Get(string hash) => chunks.TryGetValue(hash, out var data) ? data : null;

    public string Put(ReadOnlySpan<byte> data)
    {
        var hash = ChunkHash.Of(data);
        chunks.TryAdd(hash, data.ToArray());
        return hash;
    }

    /// <summary>Replaces a chunk's bytes without changing its name: only tests that simulate corruption do this.</summary>
    public void Corrupt(string hash, byte[] wrongBytes) => chunks[hash] = wrongBytes;
    public bool Remove(string hash) => chunks.TryRemove(hash, out _);
}

internal static class AtomicFile
{
    /// <summary>Temp file in the same file system, flushed, then renamed over the target (atomic on POSIX).</summary>
    public static void Write(string path, ReadOnlySpan<byte> data, string tempFolder)
    {
        Directory.CreateDirectory(tempFolder);
        var temp = Path.Combine(tempFolder, $"{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                file.Write(data);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
