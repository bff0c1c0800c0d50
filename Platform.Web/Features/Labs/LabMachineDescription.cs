namespace Platform.Web.Features.Labs;

/// <summary>
/// What the browser client needs to boot an assignment's lab machine (JSON for Vm.Client).
/// <see cref="OverlayKey"/> names the student's disk changes in the browser's storage: one per school,
/// student and assignment, so two people sharing a browser never open each other's disk.
/// </summary>
public sealed record LabMachineDescription(
    Guid AssignmentId,
    string Label,
    LabBootFileLink Kernel,
    LabBootFileLink Initrd,
    string KernelCommandLine,
    int MemoryMiB,
    string? DiskManifestHash,
    bool CanSubmit,
    string OverlayKey,
    LabBootFileLink? KernelElf,
    LabResumeLink? Resume = null,
    string? DiskManifestUrl = null);

/// <summary>
/// The lab image's snapshot for the browser's machine (see <see cref="LabResumeSnapshots"/>): its manifest,
/// whose chunks the browser fetches from chunks/{hash} (each checked against its hash, cached in IndexedDB).
/// </summary>
public sealed record LabResumeLink(string ManifestHash, long Size, int ChunkSize, IReadOnlyList<string?> Chunks);

public sealed record LabBootFileLink(string Url, string Sha256, long Bytes);
