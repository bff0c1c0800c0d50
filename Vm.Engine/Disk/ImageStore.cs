namespace Vm.Engine.Disk;

/// <summary>
/// A folder of images: <c>chunks/</c> (a <see cref="FileChunkStore"/>) and <c>manifests/HASH.json</c>.
/// Publishing an image is writing its manifest, which happens only after every chunk it names is
/// stored: a manifest in the folder always names chunks that exist.
/// </summary>
public sealed class ImageStore
{
    private readonly string tempFolder;

    public ImageStore(string root)
    {
        Root = Path.GetFullPath(root);
        Chunks = new FileChunkStore(Path.Combine(Root, "chunks"));
        ManifestFolder = Path.Combine(Root, "manifests");
        tempFolder = Path.Combine(Root, ".tmp");
        Directory.CreateDirectory(ManifestFolder);
    }

    public string Root { get; }
    public FileChunkStore Chunks { get; }
    public string ManifestFolder { get; }

    public string ManifestPath(string hash)
    {
        ChunkHash.Require(hash);
        return Path.Combine(ManifestFolder, hash + ".json");
    }

    public bool HasManifest(string hash) => ChunkHash.IsValid(hash) && File.Exists(ManifestPath(hash));

    /// <summary>The manifest's exact bytes (what its hash names), or null.</summary>
    public byte[]? GetManifestBytes(string hash)
    {
        if (!HasManifest(hash))
            return null;
        return File.ReadAllBytes(ManifestPath(hash));
    }

    public ImageManifest? GetManifest(string hash) =>
        GetManifestBytes(hash) is { } bytes ? ImageManifest.ParseVerified(bytes, hash) : null;

    /// <summary>Publishes a manifest whose chunks are all stored; returns its hash.</summary>
    public string PutManifest(ImageManifest manifest)
    {
        var bytes = manifest.ToJsonBytes();
        foreach (var chunk in manifest.Chunks)
        {
            if (chunk is not null && !Chunks.Has(chunk))
                throw new InvalidOperationException($"Chunk {chunk} is not stored; the manifest would name a missing chunk.");
        }
        var hash = ChunkHash.Of(bytes);
        var path = ManifestPath(hash);
        if (!File.Exists(path))
            AtomicFile.Write(path, bytes, tempFolder);
        return hash;
    }

    /// <summary>Accepts a manifest given as a hash in this store or as a path to a manifest file.</summary>
    public ImageManifest ResolveManifest(string hashOrPath, out string hash)
    {
        if (ChunkHash.IsValid(hashOrPath) && HasManifest(hashOrPath))
        {
            hash = hashOrPath;
            return GetManifest(hashOrPath)!;
        }
        if (File.Exists(hashOrPath))
        {
            var bytes = File.ReadAllBytes(hashOrPath);
            hash = ChunkHash.Of(bytes);
            return ImageManifest.Parse(bytes);
        }
        throw new FileNotFoundException($"No manifest '{hashOrPath}' in {Root} or on disk.");
    }
}
