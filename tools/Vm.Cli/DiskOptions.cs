using Vm.Engine.Disk;

/// <summary>
/// What <c>--disk</c> and its companion options open: a raw image file, or a chunked image (a
/// manifest file in a store, or a manifest URL) streamed through a chunk cache, with an optional
/// copy-on-write overlay file that takes every write.
/// </summary>
internal sealed class DiskOptions
{
    public string? Disk;
    public string? Chunks;
    public string? Overlay;
    public string? ChunkCache;
    /// <summary>"N" chunks ahead of sequential reads (default 4), or "always:N" to read ahead of every miss.</summary>
    public string? ReadAhead;

    public RemoteImageSource? Remote { get; private set; }
    public CopyOnWriteSource? CopyOnWrite { get; private set; }
    private HttpClient? _http;

    public async Task<IBlockSource?> OpenAsync()
    {
        if (Disk == null) return null;
        bool isUrl = Uri.TryCreate(Disk, UriKind.Absolute, out var url) && url.Scheme is "http" or "https";
        IBlockSource bottom;
        if (isUrl || LooksLikeManifest(Disk))
        {
            ImageManifest manifest;
            IChunkFetcher fetcher;
            if (isUrl)
            {
                _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
                manifest = ImageManifest.Parse(await _http.GetByteArrayAsync(url));
                var chunks = new Uri(Chunks ?? new Uri(url!, "/chunks/").AbsoluteUri);
                fetcher = new HttpChunkFetcher(_http, chunks);
            }
            else
            {
                manifest = ImageManifest.Parse(await File.ReadAllBytesAsync(Disk));
                // A manifest in a store (STORE/manifests/HASH.json) takes its chunks from STORE/chunks.
                string folder = Chunks ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Disk))!, "..", "chunks");
                fetcher = Uri.TryCreate(folder, UriKind.Absolute, out var cu) && cu.Scheme is "http" or "https"
                    ? new HttpChunkFetcher(_http = new HttpClient(), cu)
                    : new StoreChunkFetcher(new FileChunkStore(folder));
            }
            IChunkCache? cache = ChunkCache != null ? new FileChunkCache(ChunkCache) : null;
            var options = new RemoteImageOptions();
            if (ReadAhead != null)
            {
                bool always = ReadAhead.StartsWith("always:", StringComparison.Ordinal);
                options = options with
                {
                    ReadAhead = int.Parse(always ? ReadAhead[7..] : ReadAhead, System.Globalization.CultureInfo.InvariantCulture),
                    ReadAheadWhenSequentialOnly = !always,
                };
            }
            bottom = Remote = new RemoteImageSource(manifest, fetcher, cache, options);
            if (Overlay == null)
                Console.Error.WriteLine("Vm.Cli: no --overlay: writes to the image are kept in memory and lost at exit.");
        }
        else
        {
            bottom = new FileBlockSource(Disk, readOnly: Overlay != null);
        }
        if (Overlay == null && bottom.IsReadOnly)
            return CopyOnWrite = new CopyOnWriteSource(bottom, new MemoryOverlayStore());
        if (Overlay != null)
            return CopyOnWrite = new CopyOnWriteSource(bottom, new FileOverlayStore(Overlay));
        return bottom;
    }

    private static bool LooksLikeManifest(string path)
    {
        using var f = File.OpenRead(path);
        int first;
        while ((first = f.ReadByte()) is ' ' or '\n' or '\r' or '\t') { }
        return first == '{';
    }

    /// <summary>One line for WEBVM_STATS: what the disk cost the network.</summary>
    public string? Stats()
    {
        if (Remote == null) return null;
        var m = Remote.Manifest;
        long stored = m.Chunks.Count(c => c != null) * (long)m.ChunkSize;
        long fetched = Remote.FetchedChunks * (long)m.ChunkSize;
        return $"disk: fetched {Remote.FetchedChunks} chunks ({fetched} bytes) of {m.Chunks.Count(c => c != null)} stored ({stored} bytes, image {m.Size} bytes); fetched-share {(double)fetched / Math.Max(stored, 1):F4}";
    }

    public async ValueTask DisposeAsync(IBlockSource? source)
    {
        if (source != null) await source.DisposeAsync();
        _http?.Dispose();
    }
}
