using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Web.Features.LabImages;
using Vm.Engine.Disk;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// Post-boot snapshots of lab images, kept in the image store like a disk image (content-addressed
/// chunks + a manifest), so the browser fetches one exactly as it fetches a disk, from any CDN.
/// The lab image row names the manifest and the boot it belongs to.
/// </summary>
public sealed class LabSnapshots(IDbContextFactory<PlatformDbContext> contexts, ImageStore store, TimeProvider clock)
{
    /// <summary>The snapshot bytes for the lab image's current boot, or null when there is none (or it is stale or missing).</summary>
    public async Task<byte[]?> FindAsync(Guid labImageId, string bootKey, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.LabImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == labImageId, cancellationToken);
        if (image?.SnapshotManifestHash is not { } hash || image.SnapshotBootKey != bootKey)
            return null;
        return Read(hash);
    }

    /// <summary>Reads an image from the store whole; null if its manifest or a chunk is gone or corrupt.</summary>
    public byte[]? Read(string manifestHash)
    {
        var manifest = store.GetManifest(manifestHash);
        if (manifest is null)
            return null;
        var bytes = new byte[manifest.Size];
        for (var i = 0; i < manifest.ChunkCount; i++)
        {
            if (manifest.Chunks[i] is not { } chunk)
                continue; // a zero chunk
            var data = store.Chunks.Get(chunk);
            if (data is null || ChunkHash.Of(data) != chunk)
                return null;
            var offset = (long)i * manifest.ChunkSize;
            data.AsSpan(0, (int)Math.Min(data.Length, manifest.Size - offset)).CopyTo(bytes.AsSpan((int)offset));
        }
        return bytes;
    }

    /// <summary>Stores a snapshot and makes it the lab image's; returns the manifest hash.</summary>
    public async Task<string> SaveAsync(Guid labImageId, string bootKey, byte[] snapshot, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(snapshot, writable: false);
        var written = new ImageWriter(store).Write(stream, snapshot.Length, cancellationToken: cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.LabImages.SingleAsync(i => i.Id == labImageId, cancellationToken);
        image.SnapshotTaken(written.ManifestHash, bootKey, clock.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        return written.ManifestHash;
    }

    /// <summary>The boot a lab machine spec describes, with the files read once.</summary>
    public static (byte[] Kernel, byte[] Initrd, string BootKey) LoadBoot(LabMachineSpec spec)
    {
        byte[] kernel, initrd;
        try
        {
            kernel = File.ReadAllBytes(spec.KernelPath);
            initrd = File.ReadAllBytes(spec.InitrdPath);
        }
        catch (IOException e)
        {
            throw new AutogradeInfrastructureException($"The lab machine's kernel or initramfs cannot be read: {e.Message}", e);
        }
        return (kernel, initrd, LabBoot.BootKey(spec, kernel, initrd));
    }
}
