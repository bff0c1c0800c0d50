using Microsoft.Extensions.Options;
using Platform.Data.Entities;

namespace Platform.Web.Features.LabImages;

/// <summary>
/// Everything a host needs to boot one lab image: the kernel and initramfs (shared by every lab image
/// until images carry their own), the command line, the RAM size and, for images with a root disk, the
/// published disk manifest in the image store. The browser client and the server-side autograder both
/// start machines from this, so a submission is judged on exactly the machine the student used.
/// </summary>
public sealed record LabMachineSpec(
    string KernelPath,
    string InitrdPath,
    string KernelCommandLine,
    int MemoryMiB,
    string? DiskManifestHash)
{
    /// <summary>
    /// The same kernel decompressed (vmlinux ELF, gzipped) when the guest folder has it: a host may load
    /// it directly instead of letting the bzImage decompress itself in the guest (~2.4 G instructions).
    /// </summary>
    public string? KernelElfPath { get; init; }
}

/// <summary>Resolves a <see cref="LabImage"/> to a <see cref="LabMachineSpec"/>.</summary>
public sealed class LabMachines(IOptions<LabImageOptions> options, GuestImageBuildStatus build)
{
    /// <summary>The folder with the guest kernel (bzImage) and initramfs (initrd.gz) that
    /// scripts/guest/build-guest-images.sh assembles from Debian's i386 packages.</summary>
    public string GuestDirectory => options.Value.ResolveGuestDirectory();

    /// <summary>The machine for <paramref name="image"/>, or null with the reason when it cannot boot yet.</summary>
    public LabMachineSpec? Resolve(LabImage image, out string? whyNot)
    {
        var kernel = Path.Combine(GuestDirectory, "bzImage");
        var initrd = Path.Combine(GuestDirectory, "initrd.gz");
        if (!GuestImageFiles.Present(GuestDirectory))
        {
            whyNot = MissingGuestImages();
            return null;
        }
        if (image.Recipe.Contains("minbase", StringComparison.Ordinal) && image.ManifestHash is null)
        {
            whyNot = $"The disk of {image.Label} has not been built yet.";
            return null;
        }
        whyNot = null;
        var elf = Path.Combine(GuestDirectory, "vmlinux.gz");
        return new LabMachineSpec(kernel, initrd, image.KernelCommandLine, image.MemoryMiB, image.ManifestHash)
        {
            KernelElfPath = File.Exists(elf) ? elf : null,
        };
    }

    /// <summary>This portal is building the guest images right now: a lab that cannot start yet will soon.</summary>
    public bool BuildingGuestImages => build.Current.State == GuestImageBuildState.Building && !GuestImageFiles.Present(GuestDirectory);

    private string MissingGuestImages() => build.Current switch
    {
        (GuestImageBuildState.Building, var step) =>
            $"This portal is building the lab machines' Linux kernel and initramfs from Debian's packages (its first start; a few minutes). Now: {step}.",
        (GuestImageBuildState.Failed, var why) =>
            $"Building the lab machines' Linux kernel and initramfs failed: {why}. Run scripts/guest/build-guest-images.sh (it needs root for apt-get), then reload this page.",
        _ => $"The guest kernel and initramfs are not in {GuestDirectory} yet (scripts/guest/build-guest-images.sh builds them).",
    };
}
