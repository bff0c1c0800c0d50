namespace Vm.Engine.Disk;

/// <summary>
/// What a disk device reads and writes: bytes at offsets of a fixed-size disk. Asynchronous because in
/// the browser a chunk arrives from the network or IndexedDB and nothing may block the one thread:
/// the device starts a request, the machine keeps running, and the device completes the request
/// (used ring + interrupt) when the task finishes. A failed read throws <see cref="DiskIoException"/>:
/// the device answers that request with an I/O error status (VIRTIO_BLK_S_IOERR), never with bytes.
/// </summary>
public interface IBlockSource : IAsyncDisposable
{
    /// <summary>The disk's size in bytes (a multiple of <see cref="BlockSource.SectorSize"/> for real images).</summary>
    long Size { get; }
    bool IsReadOnly { get; }
    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; the range must lie inside the disk.</summary>
    ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default);
    ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);
    /// <summary>Makes every completed write durable (VIRTIO_BLK_T_FLUSH).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}

public static class BlockSource
{
    /// <summary>virtio-blk addresses the disk in 512-byte sectors whatever the block size it advertises.</summary>
    public const int SectorSize = 512;

    public static ValueTask ReadSectorsAsync(this IBlockSource source, long sector, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        source.ReadAsync(checked(sector * SectorSize), buffer, cancellationToken);

    public static ValueTask WriteSectorsAsync(this IBlockSource source, long sector, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        source.WriteAsync(checked(sector * SectorSize), data, cancellationToken);

    /// <summary>The disk's capacity in sectors, as virtio-blk's config space reports it.</summary>
    public static long SectorCount(this IBlockSource source) => source.Size / SectorSize;

    internal static void CheckRange(long size, long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > size - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Bytes {offset}..{offset + length} lie outside the {size}-byte disk.");
    }
}

public enum DiskIoFailure
{
    /// <summary>The chunk's bytes did not hash to its name.</summary>
    Corrupt,
    /// <summary>No source holds the chunk (404, missing file).</summary>
    Missing,
    /// <summary>The source could not be reached or failed otherwise.</summary>
    Unavailable,
}

/// <summary>
/// A disk read that could not be served with verified bytes. The device reports it to the guest as an
/// I/O error and the client to the user; it names the chunk so the fault can be traced.
/// </summary>
public sealed class DiskIoException : IOException
{
    public DiskIoException(DiskIoFailure failure, int chunkIndex, string? chunkHash, string message, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        ChunkIndex = chunkIndex;
        ChunkHash = chunkHash;
    }

    public DiskIoFailure Failure { get; }
    public int ChunkIndex { get; }
    public string? ChunkHash { get; }
}

/// <summary>A raw image file (or a scratch disk) read and written in place: for the server and for tests.</summary>
public sealed class FileBlockSource : IBlockSource
{
    private readonly FileStream file;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle handle;

    public FileBlockSource(string path, bool readOnly = false)
    {
        IsReadOnly = readOnly;
        file = new FileStream(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite,
            readOnly ? FileShare.Read : FileShare.None, 1, FileOptions.Asynchronous | FileOptions.RandomAccess);
        handle = file.SafeFileHandle;
        Size = file.Length;
    }

    public long Size { get; }
    public bool IsReadOnly { get; }

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BlockSource.CheckRange(Size, offset, buffer.Length);
        var done = 0;
        while (done < buffer.Length)
        {
            var n = await RandomAccess.ReadAsync(handle, buffer[done..], offset + done, cancellationToken);
            if (n == 0)
                throw new EndOfStreamException();
            done += n;
        }
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (IsReadOnly)
            throw new InvalidOperationException("The disk is read-only.");
        BlockSource.CheckRange(Size, offset, data.Length);
        return RandomAccess.WriteAsync(handle, data, offset, cancellationToken);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!IsReadOnly)
            RandomAccess.FlushToDisk(handle);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => file.DisposeAsync();
}
