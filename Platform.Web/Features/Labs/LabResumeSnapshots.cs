using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Platform.Web.Features.LabImages;
using Vm.Client.Disk;
using Vm.Client.Engine;
using Vm.Client.Lab;
using Vm.Engine;
using Vm.Engine.Devices;
using Vm.Engine.Devices.Display;
using Vm.Engine.Disk;
using Vm.Engine.Snapshots;

namespace Platform.Web.Features.Labs;

/// <summary>A lab image's resume snapshot as the browser fetches it: chunks of the image store, by hash.</summary>
public sealed record LabResumeSnapshot(string ManifestHash, ImageManifest Manifest, DateTimeOffset TakenAt);

/// <summary>
/// Snapshots of a lab image's machine in the browser's configuration (<see cref="BrowserMachine"/>: its
/// virtio-console ports, its disk (the root disk, or the blank home), the display, the RAM), taken where the guest's init waits
/// for the session line: nothing per student or per visit (clock, home disk contents, terminal size)
/// is in them. Kept apart from autograding's snapshots, whose machine has other devices and runs on
/// instruction time to the shell. Stored in the image store like a disk (chunks + manifest) so the
/// browser fetches one exactly as it fetches a disk; a small index file maps the boot key to the
/// manifest, so a lab image whose kernel, initramfs, command line, RAM or engine changed simply has no
/// snapshot (a stale one is never found) until the snapshot job makes the new one.
/// </summary>
public sealed class LabResumeSnapshots(ImageStore store, LabBootFiles files, ILogger<LabResumeSnapshots> log)
{
    /// <summary>Metadata key carrying the boot key inside the snapshot.</summary>
    public const string BootKeyMetadata = "lab.resume-key";
    private string IndexFolder => Path.Combine(store.Root, "lab-resume");

    /// <summary>Everything the snapshot depends on; any change gives another key (file hashes are remembered by <see cref="LabBootFiles"/>).</summary>
    public string BootKey(LabMachineSpec spec)
    {
        string Sha(string? path) => path is null ? "" : files.Describe(path).Sha256;
        var text = new StringBuilder()
            .Append("browser-session=1\n")
            .Append("kernel=").Append(Sha(spec.KernelPath)).Append('\n')
            .Append("kernel-elf=").Append(Sha(spec.KernelElfPath)).Append('\n')
            .Append("initrd=").Append(Sha(spec.InitrdPath)).Append('\n')
            .Append("cmdline=").Append(spec.KernelCommandLine).Append('\n')
            .Append("ram=").Append(spec.MemoryMiB).Append('\n')
            .Append("home=").Append(LabMachine.HomeDiskBytes).Append('\n')
            .Append("disk=").Append(spec.DiskManifestHash).Append('\n')
            .Append("snapshot-format=").Append(SnapshotFormat.Version).Append('\n')
            .Append("engine=").Append(typeof(Machine).Assembly.ManifestModule.ModuleVersionId).Append('\n')
            .Append("client=").Append(typeof(BrowserMachine).Assembly.ManifestModule.ModuleVersionId).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The current snapshot for this machine, or null (none yet, stale, or its manifest is gone).</summary>
    public LabResumeSnapshot? Find(string bootKey)
    {
        var index = Path.Combine(IndexFolder, bootKey);
        if (!File.Exists(index))
            return null;
        var lines = File.ReadAllLines(index);
        if (lines.Length < 2 || store.GetManifest(lines[0]) is not { } manifest)
            return null;
        return new LabResumeSnapshot(lines[0], manifest, DateTimeOffset.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Boots the machine as the browser would, to the session wait, and returns its snapshot.</summary>
    public byte[] Take(LabMachineSpec spec, string bootKey, TimeSpan limit, CancellationToken cancellationToken)
    {
        var kernel = File.ReadAllBytes(spec.KernelPath);
        var initrd = File.ReadAllBytes(spec.InitrdPath);
        var elf = spec.KernelElfPath is { } e ? File.ReadAllBytes(e) : null;
        // The browser's disk: the lab image's root disk, or else the blank home. The guest has not opened it
        // at the session wait (the partition scan's pages went when the scan closed the device), so the
        // student's own writes, under the same disk in the browser, are what the init then mounts.
        var disk = Autograding.LabDisk.Open(spec, store) ?? new CopyOnWriteSource(new BlankDisk(LabMachine.HomeDiskBytes), new MemoryOverlayStore());
        // Instruction time: idle waits are skipped, so the boot costs only the instructions it runs.
        using var machine = new BrowserMachine(kernel, initrd, spec.KernelCommandLine, spec.MemoryMiB, elf, disk, jit: null,
            DisplayMode.FromKernelCommandLine(spec.KernelCommandLine), clock: ClockMode.Instructions) { SessionEnabled = false };
        var watch = Stopwatch.StartNew();
        var console = new StringBuilder();
        void Slice()
        {
            cancellationToken.ThrowIfCancellationRequested();
            machine.RunSlice();
            var output = machine.TakeConsoleOutput();
            console.Append(Encoding.Latin1.GetString(output));
            if (console.Length > 4096) console.Remove(0, console.Length - 4096);
            if (machine.Stage == BootStage.Stopped)
                throw new InvalidOperationException($"The lab machine stopped while booting for its resume snapshot ({machine.StopReason}). Console:\n{console}");
            if (watch.Elapsed > limit)
                throw new TimeoutException($"The lab machine did not reach its session wait within {limit.TotalSeconds:0} s. Console:\n{console}");
        }
        while (!machine.AwaitingSession)
            Slice();
        // The init has opened the port; let it settle into its blocking read (and the console drain).
        var settleUntil = machine.Engine.Clock.NowNs + 200_000_000;
        while (machine.Engine.Clock.NowNs < settleUntil || machine.Engine.Block is { Busy: true })
            Slice();
        log.LogInformation("Resume snapshot booted in {Seconds:F1} s, {Instructions} M instructions", watch.Elapsed.TotalSeconds, machine.Instructions / 1_000_000);
        return machine.Engine.SaveSnapshot(new Dictionary<string, string> { [BootKeyMetadata] = bootKey });
    }

    /// <summary>Stores the snapshot's chunks and makes it the one found for <paramref name="bootKey"/>.</summary>
    public LabResumeSnapshot Save(string bootKey, byte[] snapshot, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(snapshot, writable: false);
        var written = new ImageWriter(store).Write(stream, snapshot.Length, cancellationToken: cancellationToken);
        Directory.CreateDirectory(IndexFolder);
        var index = Path.Combine(IndexFolder, bootKey);
        var temp = index + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllLines(temp, [written.ManifestHash, now.ToString("O", System.Globalization.CultureInfo.InvariantCulture)]);
        File.Move(temp, index, overwrite: true);
        return Find(bootKey)!;
    }
}
