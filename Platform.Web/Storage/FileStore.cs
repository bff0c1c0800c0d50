using System.Security.Cryptography;

namespace Platform.Web.Storage;

/// <summary>Where submission files live: content-addressed by SHA-256, written whole or not at all.</summary>
public interface IFileStore
{
    /// <summary>Stores the stream's bytes, up to <paramref name="maxBytes"/>; returns its key (the hash) and size.</summary>
    Task<StoredBlob> PutAsync(Stream content, long maxBytes, CancellationToken cancellationToken);
    Stream OpenRead(string key);
    bool Exists(string key);
}

public sealed record StoredBlob(string Key, long Size);

/// <summary>A write that went over its size limit; nothing was kept.</summary>
public sealed class BlobTooLargeException(long limit) : Exception($"The file is larger than {limit} bytes.")
{
    public long Limit { get; } = limit;
}

/// <summary>The default store: a folder under the data directory.</summary>
public sealed class LocalFileStore(string root) : IFileStore
{
    public async Task<StoredBlob> PutAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        var temp = Path.Combine(root, "tmp", Guid.NewGuid().ToString("N"));
        try
        {
            long size = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > maxBytes)
                        throw new BlobTooLargeException(maxBytes);
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                await file.FlushAsync(cancellationToken);
            }
            var key = Convert.ToHexStringLower(hash.GetHashAndReset());
            var final = PathOf(key);
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            // The rename is the commit point: a crash or a full disk before it leaves no half file under a key.
            if (!File.Exists(final))
                File.Move(temp, final, overwrite: true);
            return new StoredBlob(key, size);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    public Stream OpenRead(string key) => File.OpenRead(PathOf(key));

    public bool Exists(string key) => File.Exists(PathOf(key));

    private string PathOf(string key)
    {
        if (key.Length != 64 || !key.All(Uri.IsHexDigit))
            throw new ArgumentException("Not a file key.", nameof(key));
        return Path.Combine(root, "sha256", key[..2], key);
    }
}
