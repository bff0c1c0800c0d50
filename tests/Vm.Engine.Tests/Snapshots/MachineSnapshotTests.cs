using Vm.Engine.Snapshots;

namespace Vm.Engine.Tests.Snapshots;

/// <summary>Save and restore of the whole machine on the real kernel, and the errors for bad files.</summary>
public class MachineSnapshotTests
{
    private const uint Ram = 128u << 20;

    [Fact]
    public void Restore_AfterBootToShell_SameMemoryAndSameConsoleContinuation()
    {
        using var original = DrivenMachine.Booted(Ram);
        string path = Path.Combine(Path.GetTempPath(), $"webvm-snap-{Guid.NewGuid():N}.snap");
        File.WriteAllBytes(path, original.Machine.SaveSnapshot(new Dictionary<string, string> { ["test"] = "boot" }));
        try
        {
            // A new machine, built from nothing but the file, as another process would.
            using var restored = new DrivenMachine(Ram);
            var meta = restored.Machine.RestoreSnapshot(File.ReadAllBytes(path));
            Assert.Equal("boot", meta["test"]);
            Assert.Equal(original.MemoryHash(), restored.MemoryHash());
            Assert.Equal(original.Machine.Cpu.InstructionCount, restored.Machine.Cpu.InstructionCount);

            // The same command typed into both; the original decides how long to run.
            const string command = "echo snap-$((6*7)); ls /bin | head -3; mkdir /tmp/s && echo made > /tmp/s/f && cat /tmp/s/f";
            int before = original.Output.Length;
            original.Type(command);
            restored.Type(command);
            int slices = original.RunUntil("made\r\n", maxSlices: 5_000, from: before);
            original.RunSlices(20);
            restored.RunSlices(slices + 20);

            string originalAfter = original.Output[before..];
            Assert.Contains("snap-42", originalAfter);
            Assert.Equal(originalAfter, restored.Output);
            Assert.Equal(original.Machine.Cpu.InstructionCount, restored.Machine.Cpu.InstructionCount);
            Assert.Equal(original.MemoryHash(), restored.MemoryHash());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Restore_MidBoot_BothMachinesRunTheSameInstructions()
    {
        // Snapshot during the kernel's own decompression and early setup: paging, FPU, timers in flight.
        using var a = new DrivenMachine(Ram);
        a.Machine.LoadLinux(File.ReadAllBytes(GuestImages.Kernel), File.ReadAllBytes(GuestImages.Initrd), DrivenMachine.LeanCmdline);
        a.RunSlices(150);
        byte[] snap = a.Machine.SaveSnapshot();
        using var b = new DrivenMachine(Ram);
        b.Machine.RestoreSnapshot(snap);
        int before = a.Output.Length;
        a.RunSlices(100);
        b.RunSlices(100);
        Assert.Equal(a.Machine.Cpu.S.Eip, b.Machine.Cpu.S.Eip);
        Assert.Equal(a.Machine.Cpu.InstructionCount, b.Machine.Cpu.InstructionCount);
        Assert.Equal(a.Output[before..], b.Output);
        Assert.Equal(a.MemoryHash(), b.MemoryHash());
    }

    [Fact]
    public void Snapshot_OfSparseRam_IsSmall()
    {
        using var m = new DrivenMachine(Ram);
        m.Machine.Memory.Load(0x100000, new byte[] { 1, 2, 3 });
        byte[] snap = m.Machine.SaveSnapshot();
        Assert.InRange(snap.Length, 1, 64 * 1024);
    }

    [Fact]
    public void Restore_WrongFormatVersion_FailsWithClearError()
    {
        byte[] snap = SnapshotOfIdleMachine();
        snap[8] = 99;
        var e = Assert.Throws<SnapshotException>(() => Fresh().RestoreSnapshot(snap));
        Assert.Contains("format version 99", e.Message);
    }

    [Fact]
    public void Restore_CorruptByte_FailsWithClearErrorAndLeavesMachineUnchanged()
    {
        byte[] snap = SnapshotOfIdleMachine();
        snap[snap.Length / 2] ^= 0x40;
        using var target = new DrivenMachine(Ram);
        target.Machine.Memory.Load(0x2000, new byte[] { 7 });
        string hash = target.MemoryHash();
        var e = Assert.Throws<SnapshotException>(() => target.Machine.RestoreSnapshot(snap));
        Assert.Contains("corrupt", e.Message);
        Assert.Equal(hash, target.MemoryHash());
    }

    [Fact]
    public void Restore_Truncated_FailsWithClearError()
    {
        byte[] snap = SnapshotOfIdleMachine()[..40];
        Assert.Throws<SnapshotException>(() => Fresh().RestoreSnapshot(snap));
    }

    [Fact]
    public void Restore_NotASnapshot_FailsWithClearError()
    {
        var e = Assert.Throws<SnapshotException>(() => Fresh().RestoreSnapshot("definitely not a snapshot, just text"u8.ToArray()));
        Assert.Contains("not a WebVM machine snapshot", e.Message);
    }

    [Fact]
    public void Restore_IntoOtherRamSize_FailsWithClearError()
    {
        byte[] snap = SnapshotOfIdleMachine();
        using var small = new Machine(new MachineConfig { MemoryBytes = 64u << 20 });
        var e = Assert.Throws<SnapshotException>(() => small.RestoreSnapshot(snap));
        Assert.Contains("128 MiB", e.Message);
    }

    private static byte[] SnapshotOfIdleMachine()
    {
        using var m = new DrivenMachine(Ram);
        m.Machine.Memory.Load(0x100000, "some guest bytes"u8);
        return m.Machine.SaveSnapshot();
    }

    private static Machine Fresh() => new(new MachineConfig { MemoryBytes = Ram });
}
