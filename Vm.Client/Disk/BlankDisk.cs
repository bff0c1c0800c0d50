using Vm.Engine.Disk;

namespace Vm.Client.Disk;

/// <summary>
/// A disk of zeros, the base of the student's home disk: nothing to download, and the overlay above
/// it (IndexedDB) holds exactly the blocks the guest wrote. The guest formats it on first use
/// (scripts/guest/guest-init.sh, webvm.home=).
/// </summary>
public sealed class BlankDisk(long size) : IBlockSource
{
    public long Size { get; } = size;
    public bool IsReadOnly => true;

    public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || offset > Size - buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset}..{offset + buffer.Length} lie outside the {Size}-byte disk.");
        buffer.Span.Clear();
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The blank base disk is never written; writes go to the overlay.");

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
