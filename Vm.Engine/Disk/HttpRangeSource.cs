using System.Net;
using System.Net.Http.Headers;

namespace Vm.Engine.Disk;

/// <summary>
/// A raw disk image on any static HTTP host, read with byte-range requests in aligned blocks (128 KiB
/// by default) kept in a small memory cache. There are no hashes to check here: integrity is what the
/// host and TLS give. A block that cannot be fetched after the retries fails the read with a
/// <see cref="DiskIoException"/>, like a missing chunk.
/// </summary>
public sealed class HttpRangeSource : IBlockSource
{
    private readonly HttpClient http;
    private readonly Uri url;
    private readonly int blockSize;
    private readonly int attempts;
    private readonly TimeSpan retryDelay;
    private readonly Lock gate = new();
    private readonly LinkedList<(long Index, byte[] Data)> recent = new();
    private const int MemoryBlocks = 16;

    private HttpRangeSource(HttpClient http, Uri url, long size, int blockSize, int attempts, TimeSpan retryDelay)
    {
        this.http = http;
        this.url = url;
        Size = size;
        this.blockSize = blockSize;
        this.attempts = Math.Max(1, attempts);
        this.retryDelay = retryDelay;
    }

    /// <summary>Learns the image's size (HEAD, or a one-byte range when HEAD gives no length) and checks that the host serves ranges.</summary>
    public static async Task<HttpRangeSource> OpenAsync(HttpClient http, Uri url, int blockSize = ImageManifest.DefaultChunkSize,
        int attempts = 3, TimeSpan? retryDelay = null, CancellationToken cancellationToken = default)
    {
        using var probe = new HttpRequestMessage(HttpMethod.Get, url);
        probe.Headers.Range = new RangeHeaderValue(0, 0);
        using var response = await http.SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new DiskIoException(DiskIoFailure.Missing, 0, null, $"The disk image {url} was not found.");
        if (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentRange?.Length is not { } size)
            throw new DiskIoException(DiskIoFailure.Unavailable, 0, null, $"{url} does not serve byte ranges (answered {(int)response.StatusCode}).");
        return new HttpRangeSource(http, url, size, blockSize, attempts, retryDelay ?? TimeSpan.FromMilliseconds(200));
    }

    public long Size { get; }
    public bool IsReadOnly => true;
    public int Requests => Volatile.Read(ref requests);
    private int requests;

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BlockSource.CheckRange(Size, offset, buffer.Length);
        while (buffer.Length > 0)
        {
            var index = offset / blockSize;
            var within = (int)(offset % blockSize);
            var block = await GetBlockAsync(index, cancellationToken);
            var length = Math.Min(buffer.Length, block.Length - within);
            block.AsSpan(within, length).CopyTo(buffer.Span);
            buffer = buffer[length..];
            offset += length;
        }
    }

    private async Task<byte[]> GetBlockAsync(long index, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            for (var node = recent.First; node is not null; node = node.Next)
            {
                if (node.Value.Index == index)
                {
                    recent.Remove(node);
                    recent.AddFirst(node);
                    return node.Value.Data;
                }
            }
        }
        var start = index * blockSize;
        var end = Math.Min(Size, start + blockSize) - 1;
        Exception? last = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            if (attempt > 1)
                await Task.Delay(retryDelay, cancellationToken);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.Range = new RangeHeaderValue(start, end);
                Interlocked.Increment(ref requests);
                using var response = await http.SendAsync(request, cancellationToken);
                var range = response.Content.Headers.ContentRange;
                if (response.StatusCode == HttpStatusCode.PartialContent && range?.From == start && range.To == end)
                {
                    var data = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                    if (data.Length == end - start + 1)
                    {
                        lock (gate)
                        {
                            recent.AddFirst((index, data));
                            while (recent.Count > MemoryBlocks)
                                recent.RemoveLast();
                        }
                        return data;
                    }
                }
                last = new IOException($"{url} answered bytes {start}-{end} with {(int)response.StatusCode} {range}.");
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                last = e;
            }
        }
        throw new DiskIoException(DiskIoFailure.Unavailable, (int)Math.Min(index, int.MaxValue), null,
            $"Disk bytes {start}-{end} of {url} could not be read after {attempts} attempts.", last);
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("An HTTP disk image is read-only; writes go to the overlay above it.");

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
