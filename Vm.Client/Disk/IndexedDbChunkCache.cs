using Vm.Engine.Disk;

namespace Vm.Client.Disk;

/// <summary>
/// Image chunks in IndexedDB by hash: shared by every lab on this browser, so a second lab on the same
/// base image fetches only what differs. A full store is not the student's problem: the chunk is
/// simply not cached (it can be fetched again), but the page is told so it can say why labs are slow.
/// </summary>
public sealed class IndexedDbChunkCache(BrowserStorage storage, Action<StorageQuotaException>? onQuota = null) : IChunkCache
{
    public ValueTask<byte[]?> TryGetAsync(string hash, CancellationToken cancellationToken) => storage.ChunkGetAsync(hash, cancellationToken);

    public async ValueTask PutAsync(string hash, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await storage.ChunkPutAsync(hash, data.ToArray(), cancellationToken);
        }
        catch (StorageQuotaException e)
        {
            onQuota?.Invoke(e);
        }
    }
}
