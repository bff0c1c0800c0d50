using Platform.Web.Features.LabImages;
using Vm.Engine;
using Vm.Engine.Disk;
using Vm.Engine.Snapshots;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// The disk of a disk-backed lab image in an autograde run: the published manifest from the
/// portal's image store, read chunk by chunk, under a fresh in-memory overlay so the run's writes
/// are discarded with the machine and never reach the published image or another run.
/// </summary>
public static class LabDisk
{
    public static IBlockSource? Open(LabMachineSpec spec, ImageStore? images)
    {
        if (spec.DiskManifestHash is not { } hash)
            return null;
        if (images is null)
            throw new AutogradeUnsupportedException("This lab image boots from a disk, and this grader has no image store to read it from.");
        var manifest = images.GetManifest(hash)
            ?? throw new AutogradeInfrastructureException($"The lab image's disk {hash[..Math.Min(12, hash.Length)]} is not in the image store.");
        var published = new RemoteImageSource(manifest, new StoreChunkFetcher(images.Chunks), new MemoryChunkCache());
        return new CopyOnWriteSource(published, new MemoryOverlayStore());
    }

    /// <summary>A snapshot carries the disk it was taken with; a machine on another disk must not resume from it.</summary>
    public static void CheckSnapshotDisk(LabMachineSpec spec, byte[] snapshot)
    {
        var meta = SnapshotFormat.ReadMetadata(snapshot);
        meta.TryGetValue(Machine.SnapshotKeys.DiskManifest, out var taken);
        if ((taken ?? "") != (spec.DiskManifestHash ?? ""))
        {
            throw new SnapshotException(taken is null or ""
                ? "The snapshot was taken without a disk; this lab image boots from one."
                : $"The snapshot was taken with disk {taken}; this lab image's disk is {spec.DiskManifestHash ?? "none"}.");
        }
    }

    /// <summary>Saves the booted machine, first letting a disk request in flight finish (the device refuses otherwise).</summary>
    public static byte[] Save(Machine machine, LabMachineSpec spec, GuestConsole console, CancellationToken cancellationToken)
    {
        if (machine.Block is { Busy: true } block)
            console.RunUntil(_ => !block.Busy, TimeSpan.FromSeconds(10), cancellationToken);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (spec.DiskManifestHash is { } hash)
            meta[Machine.SnapshotKeys.DiskManifest] = hash;
        return machine.SaveSnapshot(meta);
    }
}
