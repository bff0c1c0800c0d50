using Vm.Engine.Disk;

namespace Vm.Engine.Tests.Disk;

/// <summary>Small images with a known mix of data and zero chunks, and fetchers that misbehave on purpose.</summary>
internal static class DiskTestData
{
    public const int Chunk = ImageManifest.DefaultChunkSize;

    /// <summary>Chunk i is filled with a pattern seeded by i, except the chunks listed as zero.</summary>
    public static byte[] Image(int chunks, int seed = 1, params int[] zeroChunks)
    {
        var bytes = new byte[chunks * Chunk];
        for (var i = 0; i < chunks; i++)
        {
            if (zeroChunks.Contains(i))
                continue;
            new Random(seed * 1000 + i).NextBytes(bytes.AsSpan(i * Chunk, Chunk));
        }
        return bytes;
    }

    public static (ImageManifest Manifest, MemoryChunkStore Store) Chunked(byte[] image)
    {
        var store = new MemoryChunkStore();
        var hashes = new string?[(image.Length + Chunk - 1) / Chunk];
        for (var i = 0; i < hashes.Length; i++)
        {
            var chunk = new byte[Chunk];
            image.AsSpan(i * Chunk, Math.Min(Chunk, image.Length - i * Chunk)).CopyTo(chunk);
            hashes[i] = chunk.AsSpan().ContainsAnyExcept((byte)0) ? store.Put(chunk) : null;
        }
        return (new ImageManifest { Size = image.Length, Chunks = hashes }, store);
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "webvm-disk-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}

/// <summary>Counts fetches, and can hand out wrong bytes or nothing for chosen chunks a number of times.</summary>
internal sealed class ScriptedFetcher(IChunkStore store) : IChunkFetcher
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> corruptLeft = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> missingLeft = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> log = new();

    public IReadOnlyCollection<string> Fetched => log;
    public int Count(string hash) => log.Count(h => h == hash);

    public void CorruptTimes(string hash, int times) => corruptLeft[hash] = times;
    public void MissingTimes(string hash, int times) => missingLeft[hash] = times;

    public ValueTask<byte[]> FetchAsync(string hash, CancellationToken cancellationToken)
    {
        log.Enqueue(hash);
        if (missingLeft.TryGetValue(hash, out var missing) && missing > 0)
        {
            missingLeft[hash] = missing - 1;
            throw new ChunkNotFoundException(hash);
        }
        var data = store.Get(hash) ?? throw new ChunkNotFoundException(hash);
        if (corruptLeft.TryGetValue(hash, out var corrupt) && corrupt > 0)
        {
            corruptLeft[hash] = corrupt - 1;
            data = (byte[])data.Clone();
            data[12345] ^= 0x40; // one flipped bit
        }
        return ValueTask.FromResult(data);
    }
}
