using System.Net;

namespace Vm.Engine.Disk;

/// <summary>Where chunks come from on demand. The fetcher only moves bytes; the caller checks them against the hash.</summary>
public interface IChunkFetcher
{
    /// <summary>The bytes stored under <paramref name="hash"/>; throws <see cref="ChunkNotFoundException"/> when the source has no such chunk.</summary>
    ValueTask<byte[]> FetchAsync(string hash, CancellationToken cancellationToken);
}

public sealed class ChunkNotFoundException(string hash) : Exception($"The chunk {hash} was not found.")
{
    public string Hash { get; } = hash;
}

/// <summary>
/// Chunks over HTTP: <c>GET {baseUri}{hash}</c>, as the portal's <c>/chunks/</c> serves them, or any
/// static host, object store or CDN holding the same files.
/// </summary>
public sealed class HttpChunkFetcher : IChunkFetcher
{
    private readonly HttpClient http;
    private readonly Uri baseUri;

    public HttpChunkFetcher(HttpClient http, Uri baseUri)
    {
        this.http = http;
        // A base without a trailing slash would drop its last segment when combined.
        this.baseUri = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/");
    }

    public async ValueTask<byte[]> FetchAsync(string hash, CancellationToken cancellationToken)
    {
        ChunkHash.Require(hash);
        using var response = await http.GetAsync(new Uri(baseUri, hash), HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            throw new ChunkNotFoundException(hash);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }
}

/// <summary>Chunks from a local store (a folder of chunks on the server, or memory in tests).</summary>
public sealed class StoreChunkFetcher(IChunkStore store) : IChunkFetcher
{
    public ValueTask<byte[]> FetchAsync(string hash, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(store.Get(hash) ?? throw new ChunkNotFoundException(hash));
    }
}
