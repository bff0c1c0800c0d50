using Vm.Engine.Disk;
using static Vm.Engine.Tests.Disk.DiskTestData;

namespace Vm.Engine.Tests.Disk;

public sealed class CopyOnWriteSourceTests : IDisposable
{
    private readonly string folder = TempFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static RemoteImageSource Remote(byte[] image)
    {
        var (manifest, store) = Chunked(image);
        return new RemoteImageSource(manifest, new StoreChunkFetcher(store), options: new() { RetryDelay = TimeSpan.Zero });
    }

    [Fact]
    public async Task Write_GoesToTheOverlay_BaseStaysUntouched()
    {
        var image = Image(3, 1, 1);
        var rawPath = Path.Combine(folder, "base.img");
        await File.WriteAllBytesAsync(rawPath, image);
        await using var disk = new CopyOnWriteSource(new FileBlockSource(rawPath, readOnly: true), new MemoryOverlayStore());

        var data = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        await disk.WriteAsync(Chunk - 3000, data); // crosses a chunk boundary and a zero chunk, unaligned
        var back = new byte[10_000];
        await disk.ReadAsync(Chunk - 3000, back);
        var around = new byte[3 * Chunk];
        await disk.ReadAsync(0, around);

        Assert.Equal(data, back);
        Assert.Equal(image, await File.ReadAllBytesAsync(rawPath));
        var expected = (byte[])image.Clone();
        data.CopyTo(expected, Chunk - 3000);
        Assert.Equal(expected, around);
    }

    [Fact]
    public async Task Read_PrefersTheOverlay_OnlyForBlocksItHolds()
    {
        var image = Image(2);
        await using var disk = new CopyOnWriteSource(Remote(image), new MemoryOverlayStore(4096));
        await disk.WriteAsync(8192, new byte[512]); // zeros into block 2 only

        var buffer = new byte[4 * 4096];
        await disk.ReadAsync(0, buffer);

        Assert.True(image.AsSpan(0, 8192).SequenceEqual(buffer.AsSpan(0, 8192)));
        Assert.True(buffer.AsSpan(8192, 512).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(image.AsSpan(8704, 8192 - 512).SequenceEqual(buffer.AsSpan(8704, 8192 - 512)));
        Assert.Equal(1, disk.Overlay.Count);
    }

    [Fact]
    public async Task FileOverlay_PersistsAcrossReopen()
    {
        var image = Image(2);
        var overlayPath = Path.Combine(folder, "student.overlay");
        await using (var disk = new CopyOnWriteSource(Remote(image), new FileOverlayStore(overlayPath)))
        {
            await disk.WriteSectorsAsync(3, "persisted across a reload"u8.ToArray().Concat(new byte[487]).ToArray());
            await disk.WriteAsync(Chunk + 5, new byte[] { 1, 2, 3 });
            await disk.WriteAsync(Chunk + 5, new byte[] { 4, 5, 6 }); // the same block again: rewritten in place
            await disk.FlushAsync();
        }

        await using var reopened = new CopyOnWriteSource(Remote(image), new FileOverlayStore(overlayPath));
        var sector = new byte[512];
        await reopened.ReadSectorsAsync(3, sector);
        var three = new byte[3];
        await reopened.ReadAsync(Chunk + 5, three);

        Assert.StartsWith("persisted across a reload", System.Text.Encoding.ASCII.GetString(sector));
        Assert.Equal(new byte[] { 4, 5, 6 }, three);
        Assert.Equal(2, reopened.Overlay.Count);
        Assert.Equal(16 + 2 * (8 + 4096), new FileInfo(overlayPath).Length);
    }

    [Fact]
    public async Task FileOverlay_TornLastRecord_IsIgnoredOnOpen()
    {
        var path = Path.Combine(folder, "torn.overlay");
        await using (var overlay = new FileOverlayStore(path))
        {
            await overlay.WriteBlockAsync(7, Enumerable.Repeat((byte)7, 4096).ToArray());
            await overlay.WriteBlockAsync(9, Enumerable.Repeat((byte)9, 4096).ToArray());
        }
        using (var file = new FileStream(path, FileMode.Open))
            file.SetLength(file.Length - 100);

        await using var reopened = new FileOverlayStore(path);
        var block = new byte[4096];

        Assert.True(await reopened.TryReadBlockAsync(7, block));
        Assert.All(block, b => Assert.Equal(7, b));
        Assert.False(reopened.Contains(9));
        await reopened.WriteBlockAsync(9, new byte[4096]); // appends where the torn record began
        Assert.Equal(16 + 2 * (8 + 4096), new FileInfo(path).Length);
    }

    [Fact]
    public async Task Read_BaseFails_SurfacesTheDiskIoException()
    {
        var (manifest, store) = Chunked(Image(2));
        store.Corrupt(manifest.Chunks[1]!, new byte[Chunk]);
        var remote = new RemoteImageSource(manifest, new StoreChunkFetcher(store), options: new() { RetryDelay = TimeSpan.Zero, ReadAhead = 0 });
        await using var disk = new CopyOnWriteSource(remote, new MemoryOverlayStore());

        var error = await Assert.ThrowsAsync<DiskIoException>(() => disk.ReadAsync(Chunk, new byte[512]).AsTask());
        Assert.Equal(1, error.ChunkIndex);
        // A partial write over that block needs its bytes too, and fails the same way.
        await Assert.ThrowsAsync<DiskIoException>(() => disk.WriteAsync(Chunk + 10, new byte[10]).AsTask());
        // A whole-block write does not read the base: it succeeds and the block then reads back.
        await disk.WriteAsync(Chunk, new byte[4096]);
        await disk.ReadAsync(Chunk, new byte[4096]);
    }

    [Fact]
    public async Task ConcurrentReadsAndWrites_FromOneDevice_StayConsistent()
    {
        var image = Image(4);
        await using var disk = new CopyOnWriteSource(Remote(image), new MemoryOverlayStore());
        var tasks = Enumerable.Range(0, 32).Select(async i =>
        {
            var data = Enumerable.Repeat((byte)(i + 1), 1000).ToArray();
            await disk.WriteAsync(i * 16_000L, data);
            var back = new byte[1000];
            await disk.ReadAsync(i * 16_000L, back);
            Assert.Equal(data, back);
        });
        await Task.WhenAll(tasks);
    }
}
