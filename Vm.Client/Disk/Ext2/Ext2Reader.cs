using System.Buffers.Binary;
using System.Text;
using Vm.Engine.Disk;

namespace Vm.Client.Disk.Ext2;

/// <summary>One entry of the file system: a regular file, a directory or a symbolic link.</summary>
public sealed record Ext2Entry(string Path, Ext2EntryKind Kind, int Mode, DateTimeOffset Modified, long Size, uint Inode);

public enum Ext2EntryKind { File, Directory, Symlink }

/// <summary>
/// Reads the files of an ext2 file system (as the guest's BusyBox mke2fs makes it; ext4's extent
/// trees are read too) straight from a block device, read-only. The lab uses it to hand the student
/// their home disk's files without involving the guest, so it works while the machine is paused.
/// Only what a home folder needs: regular files, directories, symbolic links; no extended attributes.
/// </summary>
public sealed class Ext2Reader
{
    private const ushort Magic = 0xEF53;
    private const uint ExtentsFlag = 0x80000, InlineDataFlag = 0x10000000;
    private const uint Incompat64Bit = 0x80;
    private readonly IBlockSource _disk;
    private readonly int _blockSize, _inodeSize, _descriptorSize;
    private readonly uint _inodesPerGroup, _inodeCount, _firstDataBlock;

    private Ext2Reader(IBlockSource disk, ReadOnlySpan<byte> sb)
    {
        _disk = disk;
        _inodeCount = U32(sb, 0);
        _firstDataBlock = U32(sb, 20);
        _blockSize = 1024 << (int)U32(sb, 24);
        _inodesPerGroup = U32(sb, 40);
        _inodeSize = U32(sb, 76) >= 1 ? U16(sb, 88) : 128;
        _descriptorSize = (U32(sb, 96) & Incompat64Bit) != 0 && U16(sb, 254) >= 32 ? U16(sb, 254) : 32;
    }

    /// <summary>Opens the file system on <paramref name="disk"/>, or returns null when the disk holds none (never formatted).</summary>
    public static async Task<Ext2Reader?> OpenAsync(IBlockSource disk, CancellationToken cancel = default)
    {
        var sb = new byte[1024];
        await disk.ReadAsync(1024, sb, cancel);
        if (U16(sb, 56) != Magic) return null;
        var reader = new Ext2Reader(disk, sb);
        if (reader._blockSize > 65536 || reader._inodesPerGroup == 0 || reader._inodeSize < 128)
            throw new InvalidDataException("The disk's file system has a superblock this reader does not understand.");
        return reader;
    }

    /// <summary>Every entry below the root, depth first, directories before their contents (paths without a leading slash).</summary>
    public async Task<List<Ext2Entry>> ListAsync(CancellationToken cancel = default) =>
        (await ListAsync("", cancel))!;

    /// <summary>
    /// Every entry below <paramref name="folder"/> ("root" for /root), as <see cref="ListAsync(CancellationToken)"/>
    /// with paths relative to it; null when there is no such folder. Reads only that part of the tree.
    /// </summary>
    public async Task<List<Ext2Entry>?> ListAsync(string folder, CancellationToken cancel)
    {
        uint directory = RootInode;
        foreach (var part in folder.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var found = (await EntriesAsync(directory, cancel)).FirstOrDefault(e => e.Name == part).Inode;
            if (found == 0 || (U16(await ReadInodeAsync(found, cancel), 0) & 0xF000) != 0x4000)
                return null;
            directory = found;
        }
        var result = new List<Ext2Entry>();
        await WalkAsync(directory, "", result, [directory], cancel);
        return result;
    }

    private const uint RootInode = 2;

    private async Task WalkAsync(uint directory, string prefix, List<Ext2Entry> into, HashSet<uint> seen, CancellationToken cancel)
    {
        foreach (var (name, inode) in await EntriesAsync(directory, cancel))
        {
            if (!seen.Add(inode)) continue;
            var entry = Describe(prefix + name, inode, await ReadInodeAsync(inode, cancel));
            if (entry is null) continue;
            into.Add(entry);
            if (entry.Kind == Ext2EntryKind.Directory)
                await WalkAsync(inode, entry.Path + "/", into, seen, cancel);
        }
    }

    /// <summary>A directory's entries but "." and "..", in their order on disk; a damaged record ends the list.</summary>
    private async Task<List<(string Name, uint Inode)>> EntriesAsync(uint directory, CancellationToken cancel)
    {
        var data = await ReadInodeDataAsync(await ReadInodeAsync(directory, cancel), cancel);
        var entries = new List<(string, uint)>();
        for (int at = 0; at + 8 <= data.Length;)
        {
            uint inode = U32(data, at);
            int length = U16(data, at + 4), nameLength = data[at + 6];
            if (length < 8 || at + length > data.Length) break; // damaged: stop at what is readable
            if (inode != 0 && nameLength > 0 && at + 8 + nameLength <= data.Length && inode <= _inodeCount)
            {
                var name = Encoding.UTF8.GetString(data, at + 8, nameLength);
                if (name is not "." and not "..")
                    entries.Add((name, inode));
            }
            at += length;
        }
        return entries;
    }

    private static Ext2Entry? Describe(string path, uint inode, byte[] raw)
    {
        int mode = U16(raw, 0);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => Ext2EntryKind.File,
            0x4000 => Ext2EntryKind.Directory,
            0xA000 => Ext2EntryKind.Symlink,
            _ => (Ext2EntryKind?)null, // devices, fifos, sockets: nothing a student would download
        };
        if (kind is null) return null;
        long size = U32(raw, 4) | ((long)U32(raw, 108) << 32);
        return new Ext2Entry(path, kind.Value, mode & 0xFFF, DateTimeOffset.FromUnixTimeSeconds(U32(raw, 16)), size, inode);
    }

    /// <summary>A regular file's bytes or a symbolic link's target.</summary>
    public async Task<byte[]> ReadAsync(Ext2Entry entry, CancellationToken cancel = default)
    {
        var raw = await ReadInodeAsync(entry.Inode, cancel);
        if (entry.Kind == Ext2EntryKind.Symlink && entry.Size < 60 && U32(raw, 28) == 0)
            return raw.AsSpan(40, (int)entry.Size).ToArray(); // a short target lives in the inode itself
        return await ReadInodeDataAsync(raw, cancel);
    }

    private async Task<byte[]> ReadInodeAsync(uint inode, CancellationToken cancel)
    {
        uint group = (inode - 1) / _inodesPerGroup, index = (inode - 1) % _inodesPerGroup;
        var descriptor = new byte[_descriptorSize];
        long table = (_firstDataBlock + 1L) * _blockSize;
        await _disk.ReadAsync(table + (long)group * _descriptorSize, descriptor, cancel);
        long inodeTable = U32(descriptor, 8) | (_descriptorSize >= 64 ? (long)U32(descriptor, 40) << 32 : 0);
        var raw = new byte[Math.Max(_inodeSize, 128)];
        await _disk.ReadAsync(inodeTable * _blockSize + (long)index * _inodeSize, raw.AsMemory(0, _inodeSize), cancel);
        return raw;
    }

    private async Task<byte[]> ReadInodeDataAsync(byte[] raw, CancellationToken cancel)
    {
        long size = U32(raw, 4) | ((U16(raw, 0) & 0xF000) == 0x8000 ? (long)U32(raw, 108) << 32 : 0);
        if (size > _disk.Size) throw new InvalidDataException("A file on the disk claims to be larger than the disk.");
        var data = new byte[size];
        uint flags = U32(raw, 32);
        if ((flags & InlineDataFlag) != 0)
        {
            raw.AsSpan(40, (int)Math.Min(size, 60)).CopyTo(data);
            return data;
        }
        long blocks = (size + _blockSize - 1) / _blockSize;
        var map = new long[blocks]; // file block -> disk block (0: a hole, reads as zeros)
        if ((flags & ExtentsFlag) != 0)
            await MapExtentsAsync(raw.AsMemory(40, 60), map, depthLeft: 5, cancel);
        else
            await MapIndirectAsync(raw, map, cancel);
        var block = new byte[_blockSize];
        for (long i = 0; i < blocks; i++)
        {
            if (map[i] == 0) continue;
            await _disk.ReadAsync(map[i] * _blockSize, block, cancel);
            var length = (int)Math.Min(_blockSize, size - i * _blockSize);
            block.AsSpan(0, length).CopyTo(data.AsSpan((int)(i * _blockSize)));
        }
        return data;
    }

    private async Task MapIndirectAsync(byte[] raw, long[] map, CancellationToken cancel)
    {
        long next = 0;
        for (int i = 0; i < 12 && next < map.Length; i++) map[next++] = U32(raw, 40 + i * 4);
        for (int level = 1; level <= 3 && next < map.Length; level++)
            next = await MapTreeAsync(U32(raw, 40 + (11 + level) * 4), level, map, next, cancel);
    }

    private async Task<long> MapTreeAsync(uint block, int level, long[] map, long next, CancellationToken cancel)
    {
        long span = 1;
        for (int i = 0; i < level; i++) span *= _blockSize / 4;
        if (block == 0) return Math.Min(map.Length, next + span);
        var pointers = new byte[_blockSize];
        await _disk.ReadAsync((long)block * _blockSize, pointers, cancel);
        for (int i = 0; i < _blockSize / 4 && next < map.Length; i++)
        {
            uint child = U32(pointers, i * 4);
            if (level == 1) map[next++] = child;
            else next = await MapTreeAsync(child, level - 1, map, next, cancel);
        }
        return next;
    }

    private async Task MapExtentsAsync(ReadOnlyMemory<byte> node, long[] map, int depthLeft, CancellationToken cancel)
    {
        if (U16(node.Span, 0) != 0xF30A || depthLeft == 0)
            throw new InvalidDataException("A file's extent tree on the disk is damaged.");
        int entries = U16(node.Span, 2), depth = U16(node.Span, 6);
        for (int e = 0; e < entries && 12 + e * 12 + 12 <= node.Length; e++)
        {
            var at = 12 + e * 12;
            if (depth == 0)
            {
                long first = U32(node.Span, at);
                int length = U16(node.Span, at + 4);
                if (length > 32768) continue; // an uninitialized extent: reads as zeros
                long start = U32(node.Span, at + 8) | ((long)U16(node.Span, at + 6) << 32);
                for (int i = 0; i < length && first + i < map.Length; i++) map[first + i] = start + i;
            }
            else
            {
                long child = U32(node.Span, at + 4) | ((long)U16(node.Span, at + 8) << 32);
                var buffer = new byte[_blockSize];
                await _disk.ReadAsync(child * _blockSize, buffer, cancel);
                await MapExtentsAsync(buffer, map, depthLeft - 1, cancel);
            }
        }
    }

    private static uint U32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);
    private static ushort U16(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);
}
