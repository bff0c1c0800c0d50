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
    LabBootFileLink? KernelElf);

public sealed record LabBootFileLink(string Url, string Sha256, long Bytes);
