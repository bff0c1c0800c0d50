using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using Vm.Client.Disk;
using Vm.Engine.Disk;

namespace Vm.Client.Tests.Disk;

/// <summary>
/// "Download my files" reads the home disk's file system on the host. Real file systems made by
/// e2fsprogs' mke2fs -d (ext2 as the guest's BusyBox makes it, and ext4 with extent trees), with a
/// nested folder, a file larger than the direct blocks reach, a symbolic link and lost+found.
/// </summary>
public sealed class HomeFilesArchiveTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("webvm-home-").FullName;

    [Theory]
    [InlineData("ext2", 1024)]
    [InlineData("ext4", 4096)]
    public async Task Archive_HoldsEveryFileWithItsBytes_NotLostAndFound(string type, int blockSize)
    {
        var tree = Directory.CreateDirectory(Path.Combine(_folder, "tree")).FullName;
        File.WriteAllText(Path.Combine(tree, "notes.txt"), "hello from the lab\n");
        Directory.CreateDirectory(Path.Combine(tree, "work", "deep"));
        var big = new byte[300 * 1024 + 17]; // past 12 direct blocks and into the (double) indirect ones
        new Random(5).NextBytes(big);
        File.WriteAllBytes(Path.Combine(tree, "work", "deep", "data.bin"), big);
        File.CreateSymbolicLink(Path.Combine(tree, "latest"), "work/deep/data.bin");
        var image = MakeImage(type, blockSize, tree);

        await using var disk = new FileBlockSource(image, readOnly: true);
        var result = await HomeFilesArchive.BuildAsync(disk);

        Assert.NotNull(result);
        Assert.Equal(3, result.Value.Files);
        var entries = ReadTar(result.Value.Archive);
        Assert.Equal("hello from the lab\n", Encoding.UTF8.GetString(entries["notes.txt"].Data!));
        Assert.Equal(big, entries["work/deep/data.bin"].Data);
        Assert.Equal(TarEntryType.Directory, entries["work/deep/"].Type);
        Assert.Equal("work/deep/data.bin", entries["latest"].Link);
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("lost+found", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RootDisk_ArchiveHoldsOnlyRootsHomeFolder_PathsRelativeToIt()
    {
        // A root disk: the distribution's files around /root, which are not the student's to download.
        var tree = Directory.CreateDirectory(Path.Combine(_folder, "rootfs")).FullName;
        Directory.CreateDirectory(Path.Combine(tree, "usr", "bin"));
        File.WriteAllText(Path.Combine(tree, "usr", "bin", "gcc"), "not the student's");
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        File.WriteAllText(Path.Combine(tree, "etc", "hostname"), "webvm\n");
        Directory.CreateDirectory(Path.Combine(tree, "root", "lab1"));
        File.WriteAllText(Path.Combine(tree, "root", "hello.c"), "int main(void) { return 0; }\n");
        File.WriteAllText(Path.Combine(tree, "root", "lab1", "notes.txt"), "mine\n");
        await using var disk = new FileBlockSource(MakeImage("ext4", 4096, tree), readOnly: true);

        var result = await HomeFilesArchive.BuildAsync(disk, "root");

        Assert.NotNull(result);
        var entries = ReadTar(result.Value.Archive);
        Assert.Equal(["hello.c", "lab1/", "lab1/notes.txt"], entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("mine\n", Encoding.UTF8.GetString(entries["lab1/notes.txt"].Data!));
        // A disk without the folder has nothing to download, rather than everything.
        Assert.Null(await HomeFilesArchive.BuildAsync(disk, "home/student"));
        Assert.Null(await HomeFilesArchive.BuildAsync(disk, "etc/hostname"));
    }

    [Fact]
    public async Task EmptyHome_NothingToDownload()
    {
        var tree = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;
        await using var disk = new FileBlockSource(MakeImage("ext2", 1024, tree), readOnly: true);
        Assert.Null(await HomeFilesArchive.BuildAsync(disk));
    }

    [Fact]
    public async Task NeverFormattedDisk_NothingToDownload()
    {
        await using var disk = new BlankDisk(8 << 20);
        Assert.Null(await HomeFilesArchive.BuildAsync(disk));
    }

    private string MakeImage(string type, int blockSize, string tree)
    {
        var image = Path.Combine(_folder, $"{type}-{Guid.NewGuid():N}.img");
        var mke2fs = new ProcessStartInfo("mke2fs", ["-q", "-F", "-t", type, "-b", blockSize.ToString(), "-d", tree, image, "8M"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var p = Process.Start(mke2fs) ?? throw new InvalidOperationException("mke2fs (e2fsprogs) is needed");
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"mke2fs failed: {error}");
        return image;
    }

    private sealed record TarItem(TarEntryType Type, byte[]? Data, string Link);

    private static Dictionary<string, TarItem> ReadTar(byte[] archive)
    {
        var result = new Dictionary<string, TarItem>();
        using var reader = new TarReader(new MemoryStream(archive));
        while (reader.GetNextEntry() is { } e)
        {
            byte[]? data = null;
            if (e.DataStream is { } s) { using var m = new MemoryStream(); s.CopyTo(m); data = m.ToArray(); }
            result[e.Name] = new TarItem(e.EntryType, data, e.LinkName);
        }
        return result;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
