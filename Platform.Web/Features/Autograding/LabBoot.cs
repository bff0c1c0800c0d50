using System.Security.Cryptography;
using System.Text;
using Platform.Web.Features.LabImages;
using Vm.Engine;
using Vm.Engine.Devices;
using Vm.Engine.Disk;
using Vm.Engine.Snapshots;

namespace Platform.Web.Features.Autograding;

/// <summary>The platform could not run the checks (not the student's doing): retried, then reported.</summary>
public class AutogradeInfrastructureException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A lab machine this engine cannot run at all: retrying will not help.</summary>
public sealed class AutogradeUnsupportedException(string message) : AutogradeInfrastructureException(message);

/// <summary>
/// Starting a lab machine at its shell: resumed from a post-boot snapshot when one is given and
/// fits, else booted from the kernel and initramfs (and then, on request, saved as a snapshot).
/// </summary>
public static class LabBoot
{
    public const string ShellMarker = "WEBVM-SHELL-READY";

    public sealed record Started(GuestConsole Console, bool FromSnapshot, byte[]? NewSnapshot, string? SnapshotProblem);

    /// <summary>
    /// What a snapshot is valid for: the same kernel, initramfs, command line, RAM, disk and engine
    /// build. Any change makes a new key, so a stale snapshot is never resumed.
    /// </summary>
    public static string BootKey(LabMachineSpec spec, byte[] kernel, byte[] initrd)
    {
        var text = new StringBuilder()
            .Append("kernel=").Append(Convert.ToHexStringLower(SHA256.HashData(kernel))).Append('\n')
            .Append("initrd=").Append(Convert.ToHexStringLower(SHA256.HashData(initrd))).Append('\n')
            .Append("cmdline=").Append(spec.KernelCommandLine).Append('\n')
            .Append("ram=").Append(spec.MemoryMiB).Append('\n')
            .Append("disk=").Append(spec.DiskManifestHash ?? "").Append('\n')
            .Append("snapshot-format=").Append(SnapshotFormat.Version).Append('\n')
            .Append("engine=").Append(typeof(Machine).Assembly.ManifestModule.ModuleVersionId).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public static Started Start(LabMachineSpec spec, byte[] kernel, byte[] initrd, byte[]? snapshot, bool takeSnapshot,
        TimeSpan bootLimit, int logChars, CancellationToken cancellationToken, ImageStore? images = null)
    {
        var disk = LabDisk.Open(spec, images);
        GuestConsole? console = null;
        var machine = new Machine(new MachineConfig
        {
            Disk = disk,
            MemoryBytes = (uint)spec.MemoryMiB << 20,
            // Instruction-counted time: the same submission gives the same run, and idle waits cost nothing.
            Clock = ClockMode.Instructions,
            SerialOut = b => console!.Receive(b),
        });
        console = new GuestConsole(machine, logChars);
        try
        {
            string? problem = null;
            if (snapshot is not null)
            {
                try
                {
                    LabDisk.CheckSnapshotDisk(spec, snapshot);
                    machine.RestoreSnapshot(snapshot);
                    return new Started(console, true, null, null);
                }
                catch (SnapshotException e)
                {
                    // A bad snapshot costs a boot, not the run.
                    problem = e.Message;
                    machine.Cpu.Reset();
                }
            }
            try
            {
                machine.LoadLinux(kernel, initrd, spec.KernelCommandLine);
            }
            catch (Vm.Engine.Boot.BootImageException e)
            {
                throw new AutogradeInfrastructureException($"The lab machine's kernel or initramfs cannot be loaded: {e.Message}", e);
            }
            bool AtShell(string screen)
            {
                var marker = screen.IndexOf(ShellMarker, StringComparison.Ordinal);
                return marker >= 0 && screen.IndexOf("# ", marker, StringComparison.Ordinal) >= 0;
            }
            bool booted;
            try
            {
                booted = console.RunUntil(AtShell, bootLimit, cancellationToken);
            }
            catch (MachineStoppedException e)
            {
                throw new AutogradeInfrastructureException($"The lab machine stopped while booting: {e.Message}", e);
            }
            if (!booted)
                throw new AutogradeInfrastructureException($"The lab machine did not reach its shell within {bootLimit.TotalSeconds:0} s of booting.");
            var taken = takeSnapshot ? LabDisk.Save(machine, spec, console, cancellationToken) : null;
            return new Started(console, false, taken, problem);
        }
        catch
        {
            machine.Dispose();
            throw;
        }
    }
}
