namespace Platform.Web.Features.Labs;

/// <summary>What the browser client needs to boot an assignment's lab machine (JSON for Vm.Client).</summary>
public sealed record LabMachineDescription(
    Guid AssignmentId,
    string Label,
    LabBootFileLink Kernel,
    LabBootFileLink Initrd,
    string KernelCommandLine,
    int MemoryMiB,
    string? DiskManifestHash,
    bool CanSubmit);

public sealed record LabBootFileLink(string Url, string Sha256, long Bytes);
