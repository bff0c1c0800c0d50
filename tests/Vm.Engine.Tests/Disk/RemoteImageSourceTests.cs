using System.Net;
using Vm.Engine.Disk;
using static Vm.Engine.Tests.Disk.DiskTestData;

namespace Vm.Engine.Tests.Disk;

public sealed class RemoteImageSourceTests
{
    private static readonly RemoteImageOptions Quick = new() { RetryDelay = TimeSpan.Zero, ReadAhead = 0 };

    [Fact]
    public async Task Read_SpanningChunkBoundaries_ReturnsTheImageBytes()
    {
        var image = Image(5, 1, 2);
        var (manifest, store) = Chunked(image);
        await using var source = new RemoteImageSource(manifest, new ScriptedFetcher(store), options: Quick);

        foreach (var (offset, length) in new[] { (0L, 512), (Chunk - 100L, 300), (Chunk - 7L, 3 * Chunk + 14), (4L * Chunk + 512, Chunk - 512), (0L, 5 * Chunk) })
        {
            var buffer = new byte[length];
            await source.ReadAsync(offset, buffer);
            Assert.True(image.AsSpan((int)offset, length).SequenceEqual(buffer), $"bytes {offset}+{length}");
        }
    }

    [Fact]
    public async Task Read_ZeroChunk_ReturnsZerosWithoutFetching()
    {
        var (manifest, store) = Chunked(Image(3, 1, 1));
        var fetcher = new ScriptedFetcher(store);
        await using var source = new RemoteImageSource(manifest, fetcher, options: Quick);

        var buffer = Enumerable.Repeat((byte)0xAA, Chunk).ToArray();
        await source.ReadAsync(Chunk, buffer);

        Assert.True(buffer.AsSpan().IndexOfAnyExcept((byte)0) < 0);
        Assert.Empty(fetcher.Fetched);
    }

    [Fact]
    public async Task Read_CorruptChunkOnce_IsRetriedAndReturnsTheRightBytes()
    {
        var image = Image(2);
        var (manifest, store) = Chunked(image);
        var fetcher = new ScriptedFetcher(store);
        fetcher.CorruptTimes(manifest.Chunks[1]!, 2);
        await using var source = new RemoteImageSource(manifest, fetcher, options: Quick);

        var buffer = new byte[Chunk];
        await source.ReadAsync(Chunk, buffer);

        Assert.Equal(image.AsSpan(Chunk, Chunk).ToArray(), buffer);
        Assert.Equal(3, fetcher.Count(manifest.Chunks[1]!));
    }

    [Fact]
    public async Task Read_ChunkAlwaysCorrupt_ThrowsDiskIoExceptionNamingTheChunk()
    {
        var (manifest, store) = Chunked(Image(3));
        var fetcher = new ScriptedFetcher(store);
        var bad = manifest.Chunks[2]!;
        fetcher.CorruptTimes(bad, int.MaxValue);
        var cache = new MemoryChunkCache();
        await using var source = new RemoteImageSource(manifest, fetcher, cache, Quick);

        var buffer = new byte[1024];
        var error = await Assert.ThrowsAsync<DiskIoException>(() => source.ReadAsync(2L * Chunk + 100, buffer).AsTask());

        Assert.Equal(DiskIoFailure.Corrupt, error.Failure);
        Assert.Equal(2, error.ChunkIndex);
        Assert.Equal(bad, error.ChunkHash);
        Assert.Contains(bad, error.Message);
        Assert.Equal(3, fetcher.Count(bad));
        Assert.True(buffer.AsSpan().IndexOfAnyExcept((byte)0) < 0); // nothing handed over
        Assert.False(cache.Contains(bad)); // and nothing wrong cached
    }

    [Fact]
    public async Task Read_MissingChunk_ThrowsDiskIoExceptionAfterRetries()
    {
        var (manifest, store) = Chunked(Image(2));
        store.Remove(manifest.Chunks[0]!);
        var fetcher = new ScriptedFetcher(store);
        await using var source = new RemoteImageSource(manifest, fetcher, options: Quick);

        var error = await Assert.ThrowsAsync<DiskIoException>(() => source.ReadAsync(0, new byte[512]).AsTask());

        Assert.Equal(DiskIoFailure.Missing, error.Failure);
        Assert.Equal(0, error.ChunkIndex);
        Assert.Equal(3, fetcher.Count(manifest.Chunks[0]!));
    }

    [Fact]
    public async Task Read_MissingOnceThenFound_Succeeds()
    {
        var image = Image(1);
        var (manifest, store) = Chunked(image);
        var fetcher = new ScriptedFetcher(store);
        fetcher.MissingTimes(manifest.Chunks[0]!, 1);
        await using var source = new RemoteImageSource(manifest, fetcher, options: Quick);

        var buffer = new byte[Chunk];
        await source.ReadAsync(0, buffer);

        Assert.Equal(image, buffer);
    }

    [Fact]
    public async Task Read_WithCache_SecondSourceFetchesNothing()
    {
        var image = Image(4);
        var (manifest, store) = Chunked(image);
        var cacheFolder = TempFolder();
        var cache = new FileChunkCache(cacheFolder);
        var first = new ScriptedFetcher(store);
        await using (var source = new RemoteImageSource(manifest, first, cache, Quick))
            await source.ReadAsync(0, new byte[image.Length]);
        var second = new ScriptedFetcher(store);
        await using var warm = new RemoteImageSource(manifest, second, cache, Quick);

        var buffer = new byte[image.Length];
        await warm.ReadAsync(0, buffer);

        Assert.Equal(4, first.Fetched.Count);
        Assert.Empty(second.Fetched);
        Assert.Equal(image, buffer);
        Directory.Delete(cacheFolder, recursive: true);
    }

    [Fact]
    public async Task Read_CorruptCacheEntry_IsIgnoredAndFetchedAgain()
    {
        var image = Image(1);
        var (manifest, store) = Chunked(image);
        var cache = new MemoryChunkCache();
        cache.Set(manifest.Chunks[0]!, new byte[Chunk]);
        var fetcher = new ScriptedFetcher(store);
        await using var source = new RemoteImageSource(manifest, fetcher, cache, Quick);

        var buffer = new byte[Chunk];
        await source.ReadAsync(0, buffer);

        Assert.Equal(image, buffer);
        Assert.Single(fetcher.Fetched);
    }

    [Fact]
    public async Task Read_ReadAhead_FetchesTheNextChunks()
    {
        var (manifest, store) = Chunked(Image(8, 1, 2));
        var fetcher = new ScriptedFetcher(store);
        var cache = new MemoryChunkCache();
        await using var source = new RemoteImageSource(manifest, fetcher, cache, Quick with { ReadAhead = 3 });

        await source.ReadAsync(0, new byte[512]);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (cache.Count < 3 && DateTime.UtcNow < deadline)
            await Task.Delay(10);

        // Chunks 1 and 3 ahead (2 is a zero chunk), plus chunk 0 itself.
        Assert.Equal(3, cache.Count);
        Assert.True(cache.Contains(manifest.Chunks[3]!));
        Assert.False(cache.Contains(manifest.Chunks[4]!));
    }

    [Fact]
    public async Task Read_ScatteredReads_FetchOnlyWhatIsRead()
    {
        var (manifest, store) = Chunked(Image(16));
        var fetcher = new ScriptedFetcher(store);
        await using var source = new RemoteImageSource(manifest, fetcher, new MemoryChunkCache(), Quick with { ReadAhead = 4 });

        foreach (var chunk in new[] { 5, 9, 2, 12 })
            await source.ReadAsync((long)chunk * Chunk, new byte[4096]);
        await Task.Delay(100);

        Assert.Equal(4, fetcher.Fetched.Count); // a metadata-like scatter reads nothing ahead
    }

    [Fact]
    public async Task Read_SequentialReader_WindowStaysAhead()
    {
        var (manifest, store) = Chunked(Image(16));
        var fetcher = new ScriptedFetcher(store);
        await using var source = new RemoteImageSource(manifest, fetcher, new MemoryChunkCache(), Quick with { ReadAhead = 4 });

        for (var chunk = 3; chunk <= 8; chunk++)
            await source.ReadAsync((long)chunk * Chunk, new byte[4096]);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (fetcher.Fetched.Count < 10 && DateTime.UtcNow < deadline)
            await Task.Delay(10);

        // Chunk 3 is a scatter read; from chunk 4 on the reader is sequential: 4..8 read, 9..12 ahead.
        Assert.Equal(Enumerable.Range(3, 10).Select(i => manifest.Chunks[i]!).Order(), fetcher.Fetched.Order());
    }

    [Fact]
    public async Task Read_FetcherThrowing_IsRetriedThenUnavailable()
    {
        var (manifest, _) = Chunked(Image(1));
        var calls = 0;
        await using var source = new RemoteImageSource(manifest, new ThrowingFetcher(() => calls++), options: Quick);

        var error = await Assert.ThrowsAsync<DiskIoException>(() => source.ReadAsync(0, new byte[512]).AsTask());

        Assert.Equal(DiskIoFailure.Unavailable, error.Failure);
        Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Equal(3, calls);
    }

    private sealed class ThrowingFetcher(Action counted) : IChunkFetcher
    {
        public ValueTask<byte[]> FetchAsync(string hash, CancellationToken cancellationToken)
        {
            counted();
            throw new HttpRequestException("connection refused");
        }
    }

    [Fact]
    public async Task Write_IsRefused() =>
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            var (manifest, store) = Chunked(Image(1));
            await using var source = new RemoteImageSource(manifest, new ScriptedFetcher(store));
            await source.WriteAsync(0, new byte[512]);
        });

    [Fact]
    public async Task Read_OutsideTheDisk_Throws()
    {
        var (manifest, store) = Chunked(Image(1));
        await using var source = new RemoteImageSource(manifest, new ScriptedFetcher(store));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => source.ReadAsync(Chunk - 10, new byte[20]).AsTask());
    }

    [Fact]
    public async Task HttpChunkFetcher_404_IsMissing_200_ReturnsBytes()
    {
        var (manifest, store) = Chunked(Image(1));
        var handler = new StoreHandler(store);
        using var http = new HttpClient(handler);
        var fetcher = new HttpChunkFetcher(http, new Uri("http://images.test/chunks"));

        var data = await fetcher.FetchAsync(manifest.Chunks[0]!, CancellationToken.None);
        Assert.Equal($"/chunks/{manifest.Chunks[0]}", handler.LastPath);
        await Assert.ThrowsAsync<ChunkNotFoundException>(() => fetcher.FetchAsync(new string('a', 64), CancellationToken.None).AsTask());

        Assert.Equal(store.Get(manifest.Chunks[0]!), data);
    }

    private sealed class StoreHandler(IChunkStore store) : HttpMessageHandler
    {
        public string? LastPath { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastPath = request.RequestUri!.AbsolutePath;
            var hash = LastPath.Split('/')[^1];
            return Task.FromResult(store.Get(hash) is { } data
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(data) }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
        }
    }
}
