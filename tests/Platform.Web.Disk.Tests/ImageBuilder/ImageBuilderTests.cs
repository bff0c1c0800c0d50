using System.Buffers.Binary;
using Vm.Engine.Disk;
using Vm.ImageBuilder;

namespace Platform.Web.Disk.Tests.ImageBuilder;

/// <summary>The builder with the real mke2fs (e2fsprogs) on small folders; debootstrap is never run here.</summary>
public sealed class ImageBuilderTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "webvm-builder-tests", Guid.NewGuid().ToString("N"));
    private readonly List<string> stages = [];

    public ImageBuilderTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private Vm.ImageBuilder.ImageBuilder Builder(ImageStore store) => new(store, new ListReporter(stages));

    private string Tree(string text)
    {
        var root = Path.Combine(folder, "root-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.WriteAllText(Path.Combine(root, "etc", "motd"), text);
        var blob = new byte[600_000];
        new Random(7).NextBytes(blob);
        File.WriteAllBytes(Path.Combine(root, "blob"), blob);
        return root;
    }

    [Fact]
    public async Task FromFolder_MakesAnExt4ImageReadableThroughTheBlockSource()
    {
        var store = new ImageStore(Path.Combine(folder, "store"));
        var result = await Builder(store).FromFolderAsync(Tree("welcome to the lab\n"), 16 << 20, new BuildOptions());

        Assert.Equal(16 << 20, result.Manifest.Size);
        Assert.True(result.ZeroChunks > result.StoredChunks);
        Assert.Contains("Published", stages);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, ".build")));
        await using var disk = new RemoteImageSource(store.GetManifest(result.ManifestHash)!, new StoreChunkFetcher(store.Chunks));
        var superblock = new byte[1024];
        await disk.ReadAsync(1024, superblock);
        Assert.Equal(0xEF53, BinaryPrimitives.ReadUInt16LittleEndian(superblock.AsSpan(0x38))); // ext2/3/4 magic
        var all = new byte[disk.Size];
        await disk.ReadAsync(0, all);
        Assert.True(all.AsSpan().IndexOf("welcome to the lab\n"u8) >= 0);
    }

    [Fact]
    public async Task FromFolder_InterruptedWhileChunking_PublishesNothing_AndTheNextBuildSucceeds()
    {
        var store = new ImageStore(Path.Combine(folder, "store"));
        using var cancel = new CancellationTokenSource();
        var interrupting = new Vm.ImageBuilder.ImageBuilder(store, new ListReporter(stages, onStage: s =>
        {
            if (s == "Chunking") cancel.Cancel();
        }));
        var tree = Tree("interrupted\n");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => interrupting.FromFolderAsync(tree, 16 << 20, new BuildOptions(), cancel.Token));

        Assert.Empty(Directory.EnumerateFiles(store.ManifestFolder));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, ".build")));
        var result = await Builder(store).FromFolderAsync(tree, 16 << 20, new BuildOptions());
        Assert.True(store.HasManifest(result.ManifestHash));
    }

    [Fact]
    public async Task FromFolder_SameTreeTwice_StoresAlmostNothingNew()
    {
        var store = new ImageStore(Path.Combine(folder, "store"));
        var tree = Tree("same\n");
        var first = await Builder(store).FromFolderAsync(tree, 8 << 20, new BuildOptions());

        var second = await Builder(store).FromFolderAsync(tree, 8 << 20, new BuildOptions());

        // mke2fs -d copies each file's access and change times into its inode, and reading the tree
        // moves them (Debian 12's e2fsprogs cannot clamp them), so the inode table may differ; every
        // other chunk is the same, and a rebuild stores only those few.
        Assert.True(second.StoredChunks <= 2, $"A rebuild of the same tree stored {second.StoredChunks} new chunks.");
        Assert.Equal(first.Manifest.Size, second.Manifest.Size);
    }

    [Fact]
    public async Task FromRaw_LayerOnBase_StoresOnlyTheChangedChunks()
    {
        var store = new ImageStore(Path.Combine(folder, "store"));
        var raw = Path.Combine(folder, "disk.img");
        var bytes = new byte[1 << 20];
        new Random(3).NextBytes(bytes);
        await File.WriteAllBytesAsync(raw, bytes);
        var baseImage = await Builder(store).FromRawAsync(raw, new BuildOptions());
        bytes[300_000] ^= 0xFF;
        await File.WriteAllBytesAsync(raw, bytes);

        var layer = await Builder(store).FromRawAsync(raw, new BuildOptions { BaseManifest = baseImage.ManifestHash });

        Assert.Equal(1, layer.StoredChunks);
        Assert.Equal(7, layer.SameAsBaseChunks);
        Assert.Equal(baseImage.ManifestHash, layer.Manifest.Base);
    }

    [Fact]
    public async Task FromRecipe_UnsupportedBase_FailsBeforeRunningAnything()
    {
        var store = new ImageStore(Path.Combine(folder, "store"));
        var recipe = Recipe.Parse("name: x\nbase: debian/bookworm-i386-busybox\n");

        var error = await Assert.ThrowsAsync<ImageBuildException>(() => Builder(store).FromRecipeAsync(recipe, new BuildOptions()));

        Assert.Contains("debian/bookworm-i386-busybox", error.Message);
        Assert.Empty(Directory.EnumerateFiles(store.ManifestFolder));
    }

    [Theory]
    [InlineData("name: debian-dev\nbase: debian/bookworm-i386-minbase\npackages:\n  - gcc\n  - make\nmemory_mib: 256\n")]
    [InlineData("base: debian/bookworm-i386-minbase\npackages: gcc make\n")]
    public void Recipe_Parse_ReadsThePackageYamlAndTheStoredForm(string text)
    {
        var recipe = Recipe.Parse(text);
        Assert.Equal("debian/bookworm-i386-minbase", recipe.Base);
        Assert.Equal(["gcc", "make"], recipe.Packages);
        Assert.Equal("bookworm", Vm.ImageBuilder.ImageBuilder.DebianSuite(recipe.Base));
    }

    [Theory]
    [InlineData("512M", 512L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("4096", 4096L)]
    public void ParseSize_ReadsUnits(string text, long bytes) => Assert.Equal(bytes, Vm.ImageBuilder.ImageBuilder.ParseSize(text));

    private sealed class ListReporter(List<string> stages, Action<string>? onStage = null) : IBuildReporter
    {
        public void Stage(string stage)
        {
            stages.Add(stage);
            onStage?.Invoke(stage);
        }

        public void Progress(double fraction) { }
        public void Log(string line) { }
    }
}
