using Vm.Engine.Disk;

namespace Vm.Client.Disk;

/// <summary>
/// A student's changed blocks of one lab's disk, in IndexedDB under a key the portal chose for that
/// student and assignment: a reload or a visit next week continues with their files. Each write is
/// stored before it completes, so the guest is told of a full store (an I/O error) rather than
/// believing data was kept that was not.
/// </summary>
public sealed class IndexedDbOverlayStore : IOverlayStore
{
    private readonly BrowserStorage _storage;
    private readonly string _lab;
    private readonly HashSet<long> _blocks;

    private IndexedDbOverlayStore(BrowserStorage storage, string lab, int blockSize, IEnumerable<long> blocks)
    {
        _storage = storage;
        _lab = lab;
        BlockSize = blockSize;
        _blocks = [.. blocks];
    }

    public static async Task<IndexedDbOverlayStore> OpenAsync(BrowserStorage storage, string lab, int blockSize = 4096, CancellationToken cancel = default) =>
        new(storage, lab, blockSize, await storage.OverlayBlocksAsync(lab, cancel));

    /// <summary>A write did not fit in the browser's storage for this site.</summary>
    public event Action<StorageQuotaException>? QuotaExceeded;

    public int BlockSize { get; }
    public int Count => _blocks.Count;
    public bool Contains(long blockIndex) => _blocks.Contains(blockIndex);

    public async ValueTask<bool> TryReadBlockAsync(long blockIndex, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (!_blocks.Contains(blockIndex)) return false;
        var data = await _storage.OverlayGetAsync(_lab, blockIndex, cancellationToken);
        if (data is null || data.Length != BlockSize)
            throw new IOException($"Block {blockIndex} of your saved disk changes is missing or damaged in the browser's storage.");
        data.CopyTo(destination);
        return true;
    }

    public async ValueTask WriteBlockAsync(long blockIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (data.Length != BlockSize)
            throw new ArgumentException($"An overlay block is {BlockSize} bytes.", nameof(data));
        try
        {
            await _storage.OverlayPutAsync(_lab, blockIndex, data.ToArray(), cancellationToken);
        }
        catch (StorageQuotaException e)
        {
            // The guest only learns "I/O error"; the page learns why.
            QuotaExceeded?.Invoke(e);
            throw;
        }
        _blocks.Add(blockIndex);
    }

    /// <summary>Every write is already stored when it completes.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>Forgets every change: the disk is the image again ("Reset disk").</summary>
    public async Task ClearAsync(CancellationToken cancel = default)
    {
        await _storage.OverlayClearAsync(_lab, cancel);
        _blocks.Clear();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
