using System.Buffers;

namespace Vm.Engine.Disk;

/// <summary>What writing an image did, chunk by chunk.</summary>
public sealed record ImageWriteResult(string ManifestHash, ImageManifest Manifest, int StoredChunks, int DedupedChunks, int SameAsBaseChunks, int ZeroChunks)
{
    public long StoredBytes => (long)StoredChunks * Manifest.ChunkSize;
}

/// <summary>
/// Cuts a raw disk image into chunks: zero chunks are elided, a chunk already in the store (from any
/// image) is not written again, and in a layer a chunk equal to the base's chunk at the same index is
/// not even looked up. Streams with one chunk of memory; the manifest is published last.
/// </summary>
public sealed class ImageWriter(ImageStore store)
{
    public ImageWriteResult WriteFile(string rawImagePath, string? baseManifestHash = null, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        using var file = new FileStream(rawImagePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Write(file, file.Length, baseManifestHash, progress, cancellationToken);
    }

    /// <param name="size">The image size in bytes; the stream must hold at least that many.</param>
    /// <param name="progress">Fraction of the bytes chunked so far, 0 to 1.</param>
    public ImageWriteResult Write(Stream raw, long size, string? baseManifestHash = null, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ImageManifest? baseManifest = null;
        if (baseManifestHash is not null)
        {
            baseManifest = store.GetManifest(baseManifestHash)
                ?? throw new FileNotFoundException($"The base image {baseManifestHash} is not in {store.Root}.");
        }
        var chunkSize = baseManifest?.ChunkSize ?? ImageManifest.DefaultChunkSize;
        var count = checked((int)((size + chunkSize - 1) / chunkSize));
        var hashes = new string?[count];
        int stored = 0, deduped = 0, sameAsBase = 0, zero = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            var chunk = buffer.AsSpan(0, chunkSize);
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var want = (int)Math.Min(chunkSize, size - (long)i * chunkSize);
                raw.ReadExactly(chunk[..want]);
                // The last chunk is padded with zeros: every chunk is exactly chunkSize bytes.
                chunk[want..].Clear();
                if (!chunk.ContainsAnyExcept((byte)0))
                {
                    zero++;
                }
                else
                {
                    var hash = ChunkHash.Of(chunk);
                    hashes[i] = hash;
                    if (baseManifest is not null && i < baseManifest.ChunkCount && baseManifest.Chunks[i] == hash)
                        sameAsBase++;
                    else if (store.Chunks.Has(hash))
                        deduped++;
                    else
                    {
                        store.Chunks.PutHashed(hash, chunk);
                        stored++;
                    }
                }
                if ((i & 63) == 63 || i == count - 1)
                    progress?.Report((double)(i + 1) / count);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (count == 0)
            progress?.Report(1);

        var manifest = new ImageManifest { Size = size, ChunkSize = chunkSize, Base = baseManifestHash, Chunks = hashes };
        var manifestHash = store.PutManifest(manifest);
        return new ImageWriteResult(manifestHash, manifest, stored, deduped, sameAsBase, zero);
    }
}
