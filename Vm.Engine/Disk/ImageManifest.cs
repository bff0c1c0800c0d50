using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vm.Engine.Disk;

/// <summary>
/// What a disk image is: its size, its chunk size and the SHA-256 of every chunk (null for an
/// all-zero chunk, which is never stored). The SHA-256 of the manifest's own bytes is the image's
/// identity. A manifest always lists every chunk, also in a layer: <see cref="Base"/> only records
/// which image the layer was built on (its chunks are shared through the content-addressed store),
/// so a reader needs one manifest and never walks a chain.
/// </summary>
public sealed record ImageManifest
{
    public const int CurrentFormat = 1;
    /// <summary>128 KiB, as CheerpX/WebVM stream their disks: big enough for few requests, small enough to start fast.</summary>
    public const int DefaultChunkSize = 128 * 1024;

    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("chunkSize")] public int ChunkSize { get; init; } = DefaultChunkSize;
    /// <summary>The manifest hash of the image this one was built on, if it is a layer.</summary>
    [JsonPropertyName("base")] public string? Base { get; init; }
    [JsonPropertyName("chunks")] public IReadOnlyList<string?> Chunks { get; init; } = [];

    public int ChunkCount => Chunks.Count;

    /// <summary>The canonical bytes: the same image always serializes, and so hashes, the same.</summary>
    public byte[] ToJsonBytes()
    {
        Validate();
        return JsonSerializer.SerializeToUtf8Bytes(this, DiskJsonContext.Default.ImageManifest);
    }

    public static ImageManifest Parse(ReadOnlySpan<byte> json)
    {
        ImageManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(json, DiskJsonContext.Default.ImageManifest);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The image manifest is not valid JSON: {e.Message}", e);
        }
        if (manifest is null)
            throw new InvalidDataException("The image manifest is empty.");
        manifest.Validate();
        return manifest;
    }

    /// <summary>The image's identity: SHA-256 (lowercase hex) of its canonical bytes.</summary>
    public string ComputeHash() => ChunkHash.Of(ToJsonBytes());

    /// <summary>Parses and checks that the bytes are the manifest <paramref name="expectedHash"/> names.</summary>
    public static ImageManifest ParseVerified(ReadOnlySpan<byte> json, string expectedHash)
    {
        var actual = ChunkHash.Of(json);
        if (!string.Equals(actual, expectedHash, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"The manifest's bytes hash to {actual}, not {expectedHash}.");
        return Parse(json);
    }

    public void Validate()
    {
        if (Format != CurrentFormat)
            throw new InvalidDataException($"Image manifest format {Format} is not supported (this build reads {CurrentFormat}).");
        if (ChunkSize < 4096 || (ChunkSize & (ChunkSize - 1)) != 0)
            throw new InvalidDataException($"Chunk size {ChunkSize} is not a power of two of at least 4096.");
        if (Size < 0)
            throw new InvalidDataException("The image size is negative.");
        var expected = (Size + ChunkSize - 1) / ChunkSize;
        if (Chunks.Count != expected)
            throw new InvalidDataException($"An image of {Size} bytes has {expected} chunks of {ChunkSize}; the manifest lists {Chunks.Count}.");
        for (var i = 0; i < Chunks.Count; i++)
        {
            if (Chunks[i] is { } h && !ChunkHash.IsValid(h))
                throw new InvalidDataException($"Chunk {i}'s hash '{h}' is not 64 lowercase hex digits.");
        }
        if (Base is { } b && !ChunkHash.IsValid(b))
            throw new InvalidDataException($"The base manifest hash '{b}' is not 64 lowercase hex digits.");
    }
}

/// <summary>SHA-256 names, as 64 lowercase hex digits: the only form a hash takes in paths, URLs and manifests.</summary>
public static class ChunkHash
{
    public const int HexLength = 64;

    public static string Of(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(data, digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>Exactly 64 lowercase hex digits (so a hash is also a safe file name).</summary>
    public static bool IsValid(string? hash)
    {
        if (hash is null || hash.Length != HexLength)
            return false;
        foreach (var c in hash)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
                return false;
        }
        return true;
    }

    public static void Require(string hash)
    {
        if (!IsValid(hash))
            throw new ArgumentException($"'{hash}' is not a SHA-256 hash in lowercase hex.", nameof(hash));
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = false)]
[JsonSerializable(typeof(ImageManifest))]
internal sealed partial class DiskJsonContext : JsonSerializerContext;
