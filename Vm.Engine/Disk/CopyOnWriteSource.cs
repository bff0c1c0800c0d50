using System.Buffers;

namespace Vm.Engine.Disk;

/// <summary>
/// The top layer: reads prefer the overlay, every write goes to the overlay, the base is only read.
/// A write that covers part of a block first copies the block up from the base (or the overlay).
/// Requests are serialized: one device issues them, and a read-modify-write must not interleave.
/// </summary>
public sealed class CopyOnWriteSource(IBlockSource baseSource, IOverlayStore overlay) : IBlockSource
{
    private readonly SemaphoreSlim gate = new(1, 1);

    public long Size => baseSource.Size;
    public bool IsReadOnly => false;
    public IBlockSource Base => baseSource;
    public IOverlayStore Overlay => overlay;

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BlockSource.CheckRange(Size, offset, buffer.Length);
        await gate.WaitAsync(cancellationToken);
        try
        {
            await ReadCoreAsync(offset, buffer, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async ValueTask ReadCoreAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var blockSize = overlay.BlockSize;
        var block = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            while (buffer.Length > 0)
            {
                var index = offset / blockSize;
                var within = (int)(offset % blockSize);
                if (overlay.Contains(index))
                {
                    var length = Math.Min(buffer.Length, blockSize - within);
                    await overlay.TryReadBlockAsync(index, block.AsMemory(0, blockSize), cancellationToken);
                    block.AsSpan(within, length).CopyTo(buffer.Span);
                    buffer = buffer[length..];
                    offset += length;
                }
                else
                {
                    // One base read for the whole run of blocks the overlay does not hold.
                    var run = Math.Min(buffer.Length, blockSize - within);
                    while (run < buffer.Length && !overlay.Contains((offset + run) / blockSize))
                        run += Math.Min(buffer.Length - run, blockSize);
                    await baseSource.ReadAsync(offset, buffer[..run], cancellationToken);
                    buffer = buffer[run..];
                    offset += run;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        BlockSource.CheckRange(Size, offset, data.Length);
        var blockSize = overlay.BlockSize;
        await gate.WaitAsync(cancellationToken);
        var block = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            while (data.Length > 0)
            {
                var index = offset / blockSize;
                var within = (int)(offset % blockSize);
                var length = Math.Min(data.Length, blockSize - within);
                var whole = block.AsMemory(0, blockSize);
                if (length < blockSize)
                {
                    // The block's current bytes: the overlay's if it has them, else the base's
                    // (a disk whose size is not a block multiple reads zeros past its end).
                    if (!await overlay.TryReadBlockAsync(index, whole, cancellationToken))
                    {
                        var start = index * blockSize;
                        var available = (int)Math.Min(blockSize, Size - start);
                        await baseSource.ReadAsync(start, whole[..available], cancellationToken);
                        whole.Span[available..].Clear();
                    }
                }
                data.Span[..length].CopyTo(whole.Span[within..]);
                await overlay.WriteBlockAsync(index, whole, cancellationToken);
                data = data[length..];
                offset += length;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
            gate.Release();
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            await overlay.FlushAsync(cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await overlay.DisposeAsync();
        await baseSource.DisposeAsync();
        gate.Dispose();
    }
}
