namespace Vm.Engine.Disk;

public sealed record RemoteImageOptions
{
    /// <summary>Chunks fetched ahead of a read: a guest reads large files mostly in order.</summary>
    public int ReadAhead { get; init; } = 4;
    /// <summary>
    /// Read ahead only when reads move forward chunk by chunk (this chunk follows the one read
    /// before). A booting system's reads are mostly scattered (metadata, small files); reading four
    /// chunks ahead of each of them fetched far more than the boot used (docs/disk.md, fetched-share).
    /// </summary>
    public bool ReadAheadWhenSequentialOnly { get; init; } = true;
    /// <summary>Attempts per chunk before the read fails (the first one included).</summary>
    public int Attempts { get; init; } = 3;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Verified chunks kept in memory (besides the cache) so neighbouring reads cost nothing.</summary>
    public int MemoryChunks { get; init; } = 16;
}

/// <summary>
/// The read-only bottom layer: an image's bytes, fetched chunk by chunk on first use through a cache.
/// Every chunk is checked against its SHA-256, from the network and from the cache alike; a chunk that
/// stays corrupt or missing after the retries fails the read with a <see cref="DiskIoException"/>.
/// Zero chunks are never fetched.
/// </summary>
public sealed class RemoteImageSource : IBlockSource
{
    private readonly ImageManifest manifest;
    private readonly IChunkFetcher fetcher;
    private readonly IChunkCache? cache;
    private readonly RemoteImageOptions options;
    private readonly Lock gate = new();
    private readonly Dictionary<int, Task<byte[]>> inFlight = [];
    private readonly LinkedList<(int Index, byte[] Data)> recent = new();
    private readonly CancellationTokenSource disposed = new();

    public RemoteImageSource(ImageManifest manifest, IChunkFetcher fetcher, IChunkCache? cache = null, RemoteImageOptions? options = null)
    {
        manifest.Validate();
        this.manifest = manifest;
        this.fetcher = fetcher;
        this.cache = cache;
        this.options = options ?? new RemoteImageOptions();
    }

    public long Size => manifest.Size;
    public bool IsReadOnly => true;
    public ImageManifest Manifest => manifest;

    /// <summary>Chunks fetched from the fetcher (not the cache), read-ahead included: what a boot cost the network.</summary>
    public int FetchedChunks => Volatile.Read(ref fetched);
    private int fetched;
    private int lastRead = -1;

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BlockSource.CheckRange(Size, offset, buffer.Length);
        var chunkSize = manifest.ChunkSize;
        while (buffer.Length > 0)
        {
            var index = (int)(offset / chunkSize);
            var within = (int)(offset % chunkSize);
            var length = Math.Min(buffer.Length, chunkSize - within);
            if (manifest.Chunks[index] is null)
            {
                buffer.Span[..length].Clear();
            }
            else
            {
                var data = await GetChunkAsync(index, readAhead: true, cancellationToken);
                data.AsSpan(within, length).CopyTo(buffer.Span);
            }
            buffer = buffer[length..];
            offset += length;
        }
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("A remote image is read-only; writes go to the overlay above it.");

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>The verified bytes of chunk <paramref name="index"/> (never null: zero chunks are the caller's business).</summary>
    internal async Task<byte[]> GetChunkAsync(int index, bool readAhead, CancellationToken cancellationToken)
    {
        Task<byte[]> task;
        byte[]? recentHit;
        bool sequential;
        lock (gate)
        {
            sequential = index == lastRead + 1;
            lastRead = index;
            recentHit = FindRecent(index);
            task = null!;
            if (recentHit is null && !inFlight.TryGetValue(index, out task!))
            {
                task = LoadAsync(index);
                inFlight[index] = task;
            }
        }
        // A sequential reader keeps the window ahead of it moving, from memory hits too; without
        // the sequential rule every miss reads ahead (the first version's behaviour).
        if (readAhead && (options.ReadAheadWhenSequentialOnly ? sequential : recentHit is null))
            StartReadAhead(index);
        if (recentHit is not null)
            return recentHit;
        return await task.WaitAsync(cancellationToken);
    }

    private void StartReadAhead(int index)
    {
        lock (gate)
        {
            for (var next = index + 1; next <= index + options.ReadAhead && next < manifest.ChunkCount; next++)
            {
                if (manifest.Chunks[next] is null || inFlight.ContainsKey(next) || FindRecent(next) is not null)
                    continue;
                var task = LoadAsync(next);
                inFlight[next] = task;
                // A failed read-ahead is forgotten: the read that needs the chunk tries again and reports.
                _ = task.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            }
        }
    }

    private async Task<byte[]> LoadAsync(int index)
    {
        await Task.Yield(); // Callers take the lock; never run the fetch inside it.
        try
        {
            var data = await LoadVerifiedAsync(index, disposed.Token);
            lock (gate)
                Remember(index, data);
            return data;
        }
        finally
        {
            lock (gate)
                inFlight.Remove(index);
        }
    }

    private async Task<byte[]> LoadVerifiedAsync(int index, CancellationToken cancellationToken)
    {
        var hash = manifest.Chunks[index]!;
        if (cache is not null && await cache.TryGetAsync(hash, cancellationToken) is { } cached && IsChunk(cached, hash))
            return cached;

        Exception? last = null;
        var failure = DiskIoFailure.Unavailable;
        for (var attempt = 1; attempt <= Math.Max(1, options.Attempts); attempt++)
        {
            if (attempt > 1)
                await Task.Delay(options.RetryDelay, cancellationToken);
            try
            {
                var data = await fetcher.FetchAsync(hash, cancellationToken);
                Interlocked.Increment(ref fetched);
                if (IsChunk(data, hash))
                {
                    if (cache is not null)
                        await cache.PutAsync(hash, data, cancellationToken);
                    return data;
                }
                failure = DiskIoFailure.Corrupt;
                last = null;
            }
            catch (ChunkNotFoundException e)
            {
                failure = DiskIoFailure.Missing;
                last = e;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Whatever the transport throws (HTTP, IndexedDB, files, a timeout) is one answer: not available now.
                failure = DiskIoFailure.Unavailable;
                last = e;
            }
        }
        var what = failure switch
        {
            DiskIoFailure.Corrupt => "arrived corrupt (its bytes do not match its SHA-256)",
            DiskIoFailure.Missing => "is missing from the image server",
            _ => "could not be fetched",
        };
        throw new DiskIoException(failure, index, hash,
            $"Disk chunk {index} ({hash}) {what} after {Math.Max(1, options.Attempts)} attempts.", last);
    }

    private bool IsChunk(byte[] data, string hash) =>
        data.Length == manifest.ChunkSize && ChunkHash.Of(data) == hash;

    private byte[]? FindRecent(int index)
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
        return null;
    }

    private void Remember(int index, byte[] data)
    {
        if (options.MemoryChunks <= 0 || FindRecent(index) is not null)
            return;
        recent.AddFirst((index, data));
        while (recent.Count > options.MemoryChunks)
            recent.RemoveLast();
    }

    /// <summary>Stops fetches in flight (read-ahead included). The token source is not disposed: late continuations may still read it.</summary>
    public ValueTask DisposeAsync()
    {
        disposed.Cancel();
        return ValueTask.CompletedTask;
    }
}
