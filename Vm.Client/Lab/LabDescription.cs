namespace Vm.Client.Lab;

/// <summary>The portal's description of an assignment's machine (GET assignments/{id}/lab/machine.json).</summary>
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
    BootFileLink? KernelElf);

public sealed record BootFileLink(string Url, string Sha256, long Bytes);
