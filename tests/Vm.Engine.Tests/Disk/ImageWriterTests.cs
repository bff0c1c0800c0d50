using Vm.Engine.Disk;
using static Vm.Engine.Tests.Disk.DiskTestData;

namespace Vm.Engine.Tests.Disk;

public sealed class ImageWriterTests : IDisposable
{
    private readonly string folder = TempFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private ImageWriteResult Write(ImageStore store, byte[] image, string? baseHash = null) =>
        new ImageWriter(store).Write(new MemoryStream(image), image.Length, baseHash);

    [Fact]
    public void Write_ZeroChunks_AreElidedAndNotStored()
    {
        var store = new ImageStore(folder);
        var result = Write(store, Image(6, 1, 1, 4));

        Assert.Equal(4, result.StoredChunks);
        Assert.Equal(2, result.ZeroChunks);
        Assert.Null(result.Manifest.Chunks[1]);
        Assert.Null(result.Manifest.Chunks[4]);
        Assert.Equal(4, store.Chunks.Enumerate().Count());
    }

    [Fact]
    public void Write_SameImageTwice_StoresNothingNewAndHasTheSameIdentity()
    {
        var store = new ImageStore(folder);
        var image = Image(5);
        var first = Write(store, image);
        var second = Write(store, image);

        Assert.Equal(first.ManifestHash, second.ManifestHash);
        Assert.Equal(0, second.StoredChunks);
        Assert.Equal(5, second.DedupedChunks);
    }

    [Fact]
    public void Write_IdenticalChunksAcrossImages_AreStoredOnce()
    {
        var store = new ImageStore(folder);
        var a = Image(4, seed: 1);
        var b = Image(4, seed: 2);
        a.AsSpan(2 * Chunk, Chunk).CopyTo(b.AsSpan(0, Chunk)); // b's chunk 0 is a's chunk 2
        Write(store, a);
        var result = Write(store, b);

        Assert.Equal(3, result.StoredChunks);
        Assert.Equal(1, result.DedupedChunks);
        Assert.Equal(7, store.Chunks.Enumerate().Count());
    }

    [Fact]
    public void Write_LayerOnBase_StoresOnlyChangedChunksAndNamesItsBase()
    {
        var store = new ImageStore(folder);
        var baseImage = Image(8);
        var baseResult = Write(store, baseImage);
        var layer = (byte[])baseImage.Clone();
        layer[3 * Chunk + 7] ^= 1;
        layer[6 * Chunk] ^= 1;

        var result = Write(store, layer, baseResult.ManifestHash);

        Assert.Equal(2, result.StoredChunks);
        Assert.Equal(6, result.SameAsBaseChunks);
        Assert.Equal(baseResult.ManifestHash, result.Manifest.Base);
        Assert.Equal(10, store.Chunks.Enumerate().Count());
        Assert.Equal(result.Manifest, store.GetManifest(result.ManifestHash), ManifestComparer.Instance);
    }

    [Fact]
    public void Write_SizeNotAChunkMultiple_PadsTheLastChunkWithZeros()
    {
        var store = new ImageStore(folder);
        var image = Image(3).AsSpan(0, 2 * Chunk + 1000).ToArray();
        var result = Write(store, image);

        Assert.Equal(image.Length, result.Manifest.Size);
        Assert.Equal(3, result.Manifest.ChunkCount);
        var last = store.Chunks.Get(result.Manifest.Chunks[2]!)!;
        Assert.Equal(Chunk, last.Length);
        Assert.True(last.AsSpan(1000).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Write_StreamFailsHalfway_PublishesNoManifest()
    {
        var store = new ImageStore(folder);
        var image = Image(6);
        var truncated = new MemoryStream(image, 0, 3 * Chunk + 10);

        Assert.Throws<EndOfStreamException>(() => new ImageWriter(store).Write(truncated, image.Length));
        Assert.Empty(Directory.EnumerateFiles(store.ManifestFolder));
    }

    [Fact]
    public void Manifest_RoundTrips_AndItsHashIsTheHashOfItsBytes()
    {
        var store = new ImageStore(folder);
        var result = Write(store, Image(3, 1, 2));
        var bytes = store.GetManifestBytes(result.ManifestHash)!;

        Assert.Equal(result.ManifestHash, ChunkHash.Of(bytes));
        Assert.Equal(result.ManifestHash, ImageManifest.Parse(bytes).ComputeHash());
        Assert.Contains("\"chunkSize\":131072", System.Text.Encoding.UTF8.GetString(bytes));
    }

    [Theory]
    [InlineData("""{"format":2,"size":0,"chunkSize":131072,"base":null,"chunks":[]}""")]
    [InlineData("""{"format":1,"size":131073,"chunkSize":131072,"base":null,"chunks":[null]}""")]
    [InlineData("""{"format":1,"size":131072,"chunkSize":131072,"base":null,"chunks":["../../etc/passwd"]}""")]
    [InlineData("""{"format":1,"size":131072,"chunkSize":1000,"base":null,"chunks":[null]}""")]
    [InlineData("not json")]
    public void Parse_InvalidManifest_Throws(string json) =>
        Assert.Throws<InvalidDataException>(() => ImageManifest.Parse(System.Text.Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void FileChunkStore_Put_IsContentAddressedAndSharded()
    {
        var store = new FileChunkStore(folder);
        var hash = store.Put("hello"u8);

        Assert.Equal("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", hash);
        Assert.Equal(Path.Combine(folder, "2c", "f2", hash), store.PathOf(hash));
        Assert.True(store.Has(hash));
        Assert.Equal("hello"u8.ToArray(), store.Get(hash));
        Assert.Null(store.Get(new string('0', 64)));
        Assert.Throws<ArgumentException>(() => store.PathOf("../x"));
    }

    private sealed class ManifestComparer : IEqualityComparer<ImageManifest?>
    {
        public static readonly ManifestComparer Instance = new();
        public bool Equals(ImageManifest? x, ImageManifest? y) =>
            x is not null && y is not null && x.Size == y.Size && x.ChunkSize == y.ChunkSize && x.Base == y.Base && x.Chunks.SequenceEqual(y.Chunks);
        public int GetHashCode(ImageManifest? obj) => 0;
    }
}
