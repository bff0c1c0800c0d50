namespace Vm.Engine.Disk;

/// <summary>
/// Chunks kept near the machine, keyed by hash and so shared by every image and lab. On the server a
/// folder; in the browser IndexedDB behind the same interface. A cache may lose or damage entries:
/// readers verify what it returns.
/// </summary>
public interface IChunkCache
{
    ValueTask<byte[]?> TryGetAsync(string hash, CancellationToken cancellationToken);
    ValueTask PutAsync(string hash, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}

/// <summary>A chunk cache in a folder, laid out like a chunk store (so a store folder is also a warm cache).</summary>
public sealed class FileChunkCache(string root) : IChunkCache
{
    private readonly FileChunkStore store = new(root);

    public ValueTask<byte[]?> TryGetAsync(string hash, CancellationToken cancellationToken) =>
        ValueTask.FromResult(store.Get(hash));

    public ValueTask PutAsync(string hash, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        store.PutHashed(hash, data.Span);
        return ValueTask.CompletedTask;
    }
}

/// <summary>An in-memory cache for tests.</summary>
public sealed class MemoryChunkCache : IChunkCache
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> chunks = new();

    public int Count => chunks.Count;
    public bool Contains(string hash) => chunks.ContainsKey(hash);

    public ValueTask<byte[]?> TryGetAsync(string hash, CancellationToken cancellationToken) =>
        ValueTask.FromResult(chunks.TryGetValue(hash, out var data) ? data : null);

    public ValueTask PutAsync(string hash, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        chunks[hash] = data.ToArray();
        return ValueTask.CompletedTask;
    }

    public void Set(string hash, byte[] data) => chunks[hash] = data;
}
