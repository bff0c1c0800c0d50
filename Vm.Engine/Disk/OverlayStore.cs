using System.Buffers.Binary;

namespace Vm.Engine.Disk;

/// <summary>
/// A student's writes to a disk: whole blocks by index. Whatever is here wins over the image below;
/// the image itself is never written. On the server a file; in the browser IndexedDB (per student and lab).
/// </summary>
public interface IOverlayStore : IAsyncDisposable
{
    int BlockSize { get; }
    int Count { get; }
    bool Contains(long blockIndex);
    /// <summary>Copies the block into <paramref name="destination"/> and returns true, or returns false when the overlay lacks it.</summary>
    ValueTask<bool> TryReadBlockAsync(long blockIndex, Memory<byte> destination, CancellationToken cancellationToken = default);
    ValueTask WriteBlockAsync(long blockIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// An overlay in one file of records, each <c>[block index: 8 bytes LE][block data]</c> after a
/// 16-byte header. A block written again is overwritten in its record; a new block is appended.
/// Opening scans the records to rebuild the index; a record torn by a crash (shorter than a record)
/// at the end is ignored, so the file stays usable.
/// </summary>
public sealed class FileOverlayStore : IOverlayStore
{
    private const long Magic = 0x3179_6C72_6576_4F56; // "VOverly1"
    private const int HeaderSize = 16;
    private readonly FileStream file;
    private readonly Dictionary<long, long> records = [];
    private readonly Lock gate = new();
    private long end;

    public FileOverlayStore(string path, int blockSize = 4096)
    {
        if (blockSize < BlockSource.SectorSize || (blockSize & (blockSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(blockSize), "The overlay block size is a power of two of at least 512.");
        Path = path;
        file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.RandomAccess);
        Span<byte> header = stackalloc byte[HeaderSize];
        if (file.Length == 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(header, Magic);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], blockSize);
            RandomAccess.Write(file.SafeFileHandle, header, 0);
            BlockSize = blockSize;
        }
        else
        {
            if (RandomAccess.Read(file.SafeFileHandle, header, 0) != HeaderSize || BinaryPrimitives.ReadInt64LittleEndian(header) != Magic)
                throw new InvalidDataException($"{path} is not a disk overlay.");
            BlockSize = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        }
        RecordSize = 8 + BlockSize;
        end = HeaderSize;
        Span<byte> key = stackalloc byte[8];
        var length = file.Length;
        while (end + RecordSize <= length)
        {
            RandomAccess.Read(file.SafeFileHandle, key, end);
            records[BinaryPrimitives.ReadInt64LittleEndian(key)] = end;
            end += RecordSize;
        }
    }

    public string Path { get; }
    public int BlockSize { get; }
    private int RecordSize { get; }

    public int Count
    {
        get { lock (gate) return records.Count; }
    }

    public bool Contains(long blockIndex)
    {
        lock (gate)
            return records.ContainsKey(blockIndex);
    }

    public ValueTask<bool> TryReadBlockAsync(long blockIndex, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        long at;
        lock (gate)
        {
            if (!records.TryGetValue(blockIndex, out at))
                return ValueTask.FromResult(false);
        }
        RandomAccess.Read(file.SafeFileHandle, destination.Span[..BlockSize], at + 8);
        return ValueTask.FromResult(true);
    }

    public ValueTask WriteBlockAsync(long blockIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blockIndex);
        if (data.Length != BlockSize)
            throw new ArgumentException($"An overlay block is {BlockSize} bytes.", nameof(data));
        lock (gate)
        {
            if (records.TryGetValue(blockIndex, out var at))
            {
                RandomAccess.Write(file.SafeFileHandle, data.Span, at + 8);
            }
            else
            {
                // Data and key in one write, key first: a torn append is shorter than a record and dropped on open.
                var record = new byte[RecordSize];
                BinaryPrimitives.WriteInt64LittleEndian(record, blockIndex);
                data.Span.CopyTo(record.AsSpan(8));
                RandomAccess.Write(file.SafeFileHandle, record, end);
                records[blockIndex] = end;
                end += RecordSize;
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        lock (gate)
            file.Flush(flushToDisk: true);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => file.DisposeAsync();
}

/// <summary>An overlay in memory: a lab that need not survive the process (autograding runs).</summary>
public sealed class MemoryOverlayStore(int blockSize = 4096) : IOverlayStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, byte[]> blocks = new();

    public int BlockSize { get; } = blockSize;
    public int Count => blocks.Count;
    public bool Contains(long blockIndex) => blocks.ContainsKey(blockIndex);

    public ValueTask<bool> TryReadBlockAsync(long blockIndex, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (!blocks.TryGetValue(blockIndex, out var data))
            return ValueTask.FromResult(false);
        data.CopyTo(destination);
        return ValueTask.FromResult(true);
    }

    public ValueTask WriteBlockAsync(long blockIndex, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (data.Length != BlockSize)
            throw new ArgumentException($"An overlay block is {BlockSize} bytes.", nameof(data));
        blocks[blockIndex] = data.ToArray();
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
