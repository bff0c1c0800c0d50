using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;

namespace Vm.Client.Lab;

/// <summary>A refusal or failure the student should read, as the page shows it.</summary>
public class LabException(string message) : Exception(message);

/// <summary>The lab cannot start yet, but will without anyone's help (the portal is building what it needs): ask again after <see cref="RetryAfter"/>.</summary>
public sealed class LabNotReadyException(string message, TimeSpan retryAfter) : LabException(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Fetches the machine description and its boot files. The files are addressed by content hash and
/// served immutable, so the second visit comes from the browser's cache; the hash is checked anyway,
/// because a truncated or corrupted kernel would fail much later in a way nobody could read.
/// </summary>
public sealed class BootDownloader(HttpClient http)
{
    public async Task<LabDescription> DescribeAsync(Guid assignmentId, CancellationToken cancel)
    {
        using var response = await http.GetAsync($"assignments/{assignmentId}/lab/machine.json", cancel);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var why = await response.Content.ReadAsStringAsync(cancel) is { Length: > 0 } text ? text.Trim('"') : "This lab machine cannot start yet.";
            throw response.Headers.RetryAfter?.Delta is { } delay ? new LabNotReadyException(why, delay) : new LabException(why);
        }
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            throw new LabException("This lab is not available to you.");
        if (response.StatusCode == HttpStatusCode.Unauthorized || response.RequestMessage?.RequestUri?.AbsolutePath.Contains("/account/login", StringComparison.Ordinal) == true)
            throw new LabException("Your session has ended: sign in again.");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<LabDescription>(cancel)
            ?? throw new LabException("The portal sent an empty machine description.");
    }

    /// <summary>
    /// The lab's resume snapshot, assembled from its chunks: each from the browser's chunk cache or else
    /// fetched from chunks/{hash} and checked against its hash before it is cached or used. A chunk that
    /// arrives damaged or missing is a <see cref="LabException"/>: the page boots instead.
    /// </summary>
    public async Task<byte[]> DownloadSnapshotAsync(ResumeLink link, Vm.Engine.Disk.IChunkCache? cache, Action<long> progress, CancellationToken cancel)
    {
        if (link.Size <= 0 || link.Size > int.MaxValue || link.ChunkSize <= 0 || (link.Size + link.ChunkSize - 1) / link.ChunkSize != link.Chunks.Count)
            throw new LabException("The saved machine's description does not add up.");
        var data = new byte[link.Size];
        long done = 0;
        using var gate = new SemaphoreSlim(4);
        async Task One(int i)
        {
            if (link.Chunks[i] is not { } hash) { Interlocked.Add(ref done, ChunkLength(i)); return; } // a zero chunk
            await gate.WaitAsync(cancel);
            try
            {
                var chunk = cache is null ? null : await cache.TryGetAsync(hash, cancel);
                if (chunk is null)
                {
                    using var response = await http.GetAsync($"chunks/{hash}", cancel);
                    if (!response.IsSuccessStatusCode)
                        throw new LabException($"A piece of the saved machine is missing ({(int)response.StatusCode}).");
                    chunk = await response.Content.ReadAsByteArrayAsync(cancel);
                    if (Convert.ToHexStringLower(SHA256.HashData(chunk)) != hash)
                        throw new LabException("A piece of the saved machine arrived damaged (its hash does not match).");
                    if (cache is not null) await cache.PutAsync(hash, chunk, cancel);
                }
                if (chunk.Length < ChunkLength(i))
                    throw new LabException("A piece of the saved machine is too short.");
                chunk.AsSpan(0, ChunkLength(i)).CopyTo(data.AsSpan((int)((long)i * link.ChunkSize)));
                progress(Interlocked.Add(ref done, ChunkLength(i)));
            }
            finally
            {
                gate.Release();
            }
        }
        int ChunkLength(int i) => (int)Math.Min(link.ChunkSize, link.Size - (long)i * link.ChunkSize);
        await Task.WhenAll(Enumerable.Range(0, link.Chunks.Count).Select(One));
        return data;
    }

    /// <summary>The root disk's manifest (chunk hashes), checked against the hash machine.json named.</summary>
    public async Task<Vm.Engine.Disk.ImageManifest> DescribeDiskAsync(string url, string manifestHash, CancellationToken cancel)
    {
        using var response = await http.GetAsync(url, cancel);
        if (!response.IsSuccessStatusCode)
            throw new LabException($"The lab's disk could not be found ({(int)response.StatusCode}). Reload the page to try again.");
        var bytes = await response.Content.ReadAsByteArrayAsync(cancel);
        try
        {
            return Vm.Engine.Disk.ImageManifest.ParseVerified(bytes, manifestHash);
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException)
        {
            throw new LabException($"The lab's disk description arrived damaged ({e.Message}). Reload the page to try again.");
        }
    }

    /// <summary>Downloads one file, reporting the bytes received so far.</summary>
    public async Task<byte[]> DownloadAsync(BootFileLink file, Action<long> progress, CancellationToken cancel)
    {
        using var response = await http.GetAsync(file.Url, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (!response.IsSuccessStatusCode)
            throw new LabException($"Downloading the machine's boot files failed ({(int)response.StatusCode}). Reload the page to try again.");
        var data = new byte[file.Bytes];
        await using var stream = await response.Content.ReadAsStreamAsync(cancel);
        int at = 0;
        while (at < data.Length)
        {
            int n = await stream.ReadAsync(data.AsMemory(at), cancel);
            if (n == 0) break;
            at += n;
            progress(at);
        }
        if (at != data.Length || Convert.ToHexStringLower(SHA256.HashData(data)) != file.Sha256)
            throw new LabException("A boot file arrived damaged (its hash does not match). Reload the page to try again.");
        return data;
    }
}
