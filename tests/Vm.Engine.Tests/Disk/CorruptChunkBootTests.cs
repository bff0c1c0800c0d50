using System.Diagnostics;
using Vm.Engine.Disk;
using Vm.Engine.Tests.Boot;

namespace Vm.Engine.Tests.Disk;

/// <summary>
/// A chunk whose bytes no longer match its name, met by the real kernel: the guest's read fails with
/// an I/O error (nothing wrong is read) and the host hears which chunk it was.
/// </summary>
public sealed class CorruptChunkBootTests : IDisposable
{
    private readonly string _scratch = DiskTestData.TempFolder();

    [Fact]
    public async Task Boot_FileOnCorruptChunk_GuestGetsIoError_HostIsTold_GoodFileStillReads()
    {
        // An ext4 image with two files, chunked into a store served over HTTP.
        string tree = Path.Combine(_scratch, "tree");
        Directory.CreateDirectory(tree);
        var bad = new byte[512 * 1024];
        new Random(11).NextBytes(bad);
        await File.WriteAllBytesAsync(Path.Combine(tree, "bad.bin"), bad);
        await File.WriteAllTextAsync(Path.Combine(tree, "good.txt"), "good bytes\n");
        string raw = Path.Combine(_scratch, "disk.img");
        var mke2fs = Process.Start(new ProcessStartInfo("mke2fs", ["-q", "-F", "-t", "ext4", "-d", tree, raw, "16M"]) { RedirectStandardError = true })!;
        await mke2fs.WaitForExitAsync();
        Assert.True(mke2fs.ExitCode == 0, "mke2fs -d failed (e2fsprogs is installed by scripts/install-test-deps.sh)");
        var store = new ImageStore(Path.Combine(_scratch, "store"));
        var written = new ImageWriter(store).WriteFile(raw);

        // Corrupt the stored chunk that holds the middle of bad.bin (one flipped bit, file renamed nothing).
        byte[] image = await File.ReadAllBytesAsync(raw);
        int at = image.AsSpan().IndexOf(bad.AsSpan(256 * 1024, 4096));
        Assert.True(at > 0);
        int chunk = at / written.Manifest.ChunkSize;
        string hash = written.Manifest.Chunks[chunk]!;
        string chunkFile = store.Chunks.PathOf(hash);
        byte[] chunkBytes = await File.ReadAllBytesAsync(chunkFile);
        chunkBytes[at % written.Manifest.ChunkSize] ^= 0x01;
        await File.WriteAllBytesAsync(chunkFile, chunkBytes);

        using var server = new ChunkHttpServer(store);
        using var http = new HttpClient();
        var failures = new List<Exception>();
        await using var disk = new CopyOnWriteSource(
            new RemoteImageSource(written.Manifest, new HttpChunkFetcher(http, server.ChunksUri), new FileChunkCache(Path.Combine(_scratch, "cache")),
                new RemoteImageOptions { RetryDelay = TimeSpan.FromMilliseconds(20) }),
            new MemoryOverlayStore());
        using var g = new GuestSession("console=ttyS0 quiet cryptomgr.notests noisapnp", 128u << 20, c => c with { Disk = disk });
        g.Machine.Block!.IoFailed += e => { lock (failures) failures.Add(e); };
        g.WaitFor(GuestSession.Marker, TimeSpan.FromMinutes(6));
        g.WaitFor("# ", TimeSpan.FromSeconds(60));

        g.Run("for m in $(cat /lib/modules/disk.order); do insmod /lib/modules/$m.ko; done; mount -t ext4 -o ro /dev/vda /mnt");
        Assert.Equal("good bytes", g.Run("cat /mnt/good.txt").Trim());
        string result = g.Run("cat /mnt/bad.bin > /tmp/copy 2> /tmp/err; echo rc=$?; cat /tmp/err");
        Assert.Contains("rc=1", result);
        Assert.Contains("I/O error", result);
        Assert.Contains("I/O error", g.Run("dmesg | grep -i 'error' | tail -n 3"));
        // What did reach the guest is the file's own bytes up to the bad chunk, never the corrupt ones.
        int copied = int.Parse(g.Run("wc -c < /tmp/copy").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(copied < bad.Length);
        string prefixHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bad.AsSpan(0, copied)));
        Assert.StartsWith(prefixHash, g.Run("sha256sum /tmp/copy").Trim());

        Exception failure;
        lock (failures) failure = Assert.Single(failures.DistinctBy(f => (f as DiskIoException)?.ChunkIndex));
        var io = Assert.IsType<DiskIoException>(failure);
        Assert.Equal(DiskIoFailure.Corrupt, io.Failure);
        Assert.Equal(chunk, io.ChunkIndex);
        Assert.Equal(hash, io.ChunkHash);
    }

    public void Dispose()
    {
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
    }
}
