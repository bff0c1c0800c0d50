namespace Vm.Client.Lab;

/// <summary>
/// The portal's description of an assignment's machine (GET assignments/{id}/lab/machine.json). A lab
/// image with a root disk names its manifest (<see cref="DiskManifestHash"/>, fetched from
/// <see cref="DiskManifestUrl"/>); one without gets the student's blank home disk.
/// </summary>
public sealed record LabDescription(
    Guid AssignmentId,
    string Label,
    BootFileLink Kernel,
    BootFileLink Initrd,
    string KernelCommandLine,
    int MemoryMiB,
    string? DiskManifestHash,
    bool CanSubmit,
    string OverlayKey,
    BootFileLink? KernelElf,
    ResumeLink? Resume = null,
    string? DiskManifestUrl = null);

/// <summary>The lab image's snapshot of this machine at its session wait: chunks by hash (see Platform.Web's LabResumeSnapshots).</summary>
public sealed record ResumeLink(string ManifestHash, long Size, int ChunkSize, IReadOnlyList<string?> Chunks);

public sealed record BootFileLink(string Url, string Sha256, long Bytes);
