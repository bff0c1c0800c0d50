using Vm.Engine.Snapshots;

namespace Vm.Engine;

/// <summary>
/// Saving and restoring the whole machine. Call these only while the machine is not running
/// (before <see cref="Run"/>, or after it returned). A device added to the machine joins the
/// snapshot by implementing <see cref="ISnapshotState"/> and being listed in <see cref="SnapshotParts"/>.
/// </summary>
public sealed partial class Machine
{
    /// <summary>Metadata keys the engine fills in; hosts add their own (disk manifest, overlay id, image id).</summary>
    public static class SnapshotKeys
    {
        public const string MemoryBytes = "machine.memory-bytes";
        public const string ClockMode = "machine.clock";
        public const string InstructionCount = "machine.instructions";
        public const string DiskManifest = "disk.manifest";
        public const string DiskOverlay = "disk.overlay";
    }

    /// <summary>
    /// Every stateful part in restore order: the CPU first (the instruction count drives the
    /// clock), then the clock (device timers are expressed in its time), then RAM and devices.
    /// </summary>
    private IEnumerable<ISnapshotState> SnapshotParts()
    {
        ISnapshotState[] core = [Cpu, Clock, Memory, Pic, Pit, Serial, _rtc, _i8042, _miscPorts, Pci, VirtioConsole, Rng];
        // The disk joins only when attached: a snapshot with a disk and a machine without one (or
        // the reverse) differ by the "virtio-blk0" section, which the format refuses clearly.
        if (Block != null) core = [.. core, Block];
        // With a display, its input devices (the framebuffer itself is RAM, in the "ram" section).
        if (Keyboard != null && Tablet != null) core = [.. core, Keyboard, Tablet];
        // virtio-gpu's resources and scanout live in the host, so it has its own section (only when present).
        if (Gpu != null) core = [.. core, Gpu];
        return [.. core, new MachineFlags(this)];
    }

    /// <summary>Saves the whole machine (CPU, RAM, devices, clock) plus <paramref name="metadata"/>.</summary>
    public byte[] SaveSnapshot(IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [SnapshotKeys.MemoryBytes] = Memory.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [SnapshotKeys.ClockMode] = Clock.Mode.ToString(),
            [SnapshotKeys.InstructionCount] = Cpu.InstructionCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return SnapshotFormat.Write(meta, SnapshotParts());
    }

    /// <summary>
    /// Replaces this machine's state with the snapshot's; returns its metadata. Throws
    /// <see cref="SnapshotException"/> for a wrong version, a corrupt file or a machine of another
    /// shape (RAM size, devices), checked before anything is changed where possible.
    /// </summary>
    public IReadOnlyDictionary<string, string> RestoreSnapshot(byte[] snapshot)
    {
        return SnapshotFormat.Restore(snapshot, SnapshotParts(), meta =>
        {
            if (meta.TryGetValue(SnapshotKeys.MemoryBytes, out var mem) && mem != Memory.Size.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new SnapshotException($"The snapshot was taken with {ulong.Parse(mem, System.Globalization.CultureInfo.InvariantCulture) >> 20} MiB of RAM; this machine has {Memory.Size >> 20} MiB.");
            }
        });
    }

    /// <summary>The machine's own flags: a pending reset and why it stopped.</summary>
    private sealed class MachineFlags(Machine m) : ISnapshotState
    {
        public string SnapshotSection => "machine";
        public int SnapshotVersion => 1;

        public void SaveState(BinaryWriter w)
        {
            w.Write(m._resetRequested);
            w.Write(m.StopReason ?? "");
        }

        public void RestoreState(BinaryReader r, int version)
        {
            m._resetRequested = r.ReadBoolean();
            string s = r.ReadString();
            m.StopReason = s.Length == 0 ? null : s;
        }
    }
}
