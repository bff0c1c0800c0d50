using System.Text;
using Vm.Engine.Disk;
using Vm.Engine.Devices.Virtio;
using Vm.Engine.Snapshots;

namespace Vm.Engine.Tests.Snapshots;

/// <summary>
/// The PCI bus and virtio devices in a snapshot, on the real kernel: a guest that used hvc0, the
/// named port and /dev/hwrng before the snapshot keeps using them identically in the original
/// and in a machine restored from the file.
/// </summary>
public class VirtioSnapshotTests
{
    private const uint Ram = 128u << 20;
    private const string SubmitPort = "org.webvm.submit";

    private sealed class PortLog
    {
        private readonly StringBuilder _hvc = new(), _submit = new();

        public PortLog(Machine m)
        {
            m.VirtioConsole.Console.Received += d => { lock (_hvc) _hvc.Append(Encoding.ASCII.GetString(d.Span)); };
            m.VirtioConsole.Port(SubmitPort)!.Received += d => { lock (_submit) _submit.Append(Encoding.ASCII.GetString(d.Span)); };
        }

        public string Hvc { get { lock (_hvc) return _hvc.ToString(); } }
        public string Submit { get { lock (_submit) return _submit.ToString(); } }
    }

    [Fact]
    public void Restore_AfterUsingHvc0NamedPortAndHwrng_BothMachinesContinueIdentically()
    {
        using var original = DrivenMachine.Booted(Ram);
        var originalLog = new PortLog(original.Machine);
        int mark = original.Output.Length;
        original.Type($"echo hvc-one > /dev/hvc0; printf sub-one > /dev/virtio-ports/{SubmitPort}; head -c 4 /dev/hwrng | od -An -tx1; echo first$((1))");
        original.RunUntil("first1\r\n", maxSlices: 5_000, from: mark);
        original.RunSlices(20);
        Assert.Contains("hvc-one", originalLog.Hvc);
        Assert.Equal("sub-one", originalLog.Submit);
        Assert.Matches(@"(?m)^( [0-9a-f]{2}){4}\r?$", original.Output[mark..]);

        // Bytes sent to the named port while no guest program has it open are held by the device:
        // the snapshot must carry them.
        original.Machine.VirtioConsole.Port(SubmitPort)!.Send("held-line\n"u8);
        original.RunSlices(5);
        byte[] snap = original.Machine.SaveSnapshot();

        using var restored = new DrivenMachine(Ram);
        var restoredLog = new PortLog(restored.Machine);
        restored.Machine.RestoreSnapshot(snap);
        Assert.Equal(original.MemoryHash(), restored.MemoryHash());
        Assert.True(restored.Machine.VirtioConsole.DriverOk, "the console driver's status came back");
        Assert.Equal(original.Machine.Pci[1]!.IoBarBase(0), restored.Machine.Pci[1]!.IoBarBase(0));

        string command = $"echo hvc-two > /dev/hvc0; head -n 1 /dev/virtio-ports/{SubmitPort}; printf sub-two > /dev/virtio-ports/{SubmitPort}; head -c 4 /dev/hwrng | od -An -tx1; echo second$((2))";
        int before = original.Output.Length;
        string hvcBefore = originalLog.Hvc, submitBefore = originalLog.Submit;
        original.Type(command);
        restored.Type(command);
        int slices = original.RunUntil("second2\r\n", maxSlices: 5_000, from: before);
        original.RunSlices(20);
        restored.RunSlices(slices + 20);

        string originalAfter = original.Output[before..];
        Assert.Contains("held-line", originalAfter);
        Assert.Matches(@"(?m)^( [0-9a-f]{2}){4}\r?$", originalAfter);
        Assert.Equal(originalAfter, restored.Output);
        Assert.Equal("hvc-two", originalLog.Hvc[hvcBefore.Length..].Trim());
        Assert.Equal(originalLog.Hvc[hvcBefore.Length..], restoredLog.Hvc);
        Assert.Equal("sub-two", originalLog.Submit[submitBefore.Length..]);
        Assert.Equal("sub-two", restoredLog.Submit);
        Assert.Equal(original.Machine.Rng.BytesServed, restored.Machine.Rng.BytesServed);
        Assert.Equal(original.MemoryHash(), restored.MemoryHash());
    }

    [Fact]
    public async Task Restore_SnapshotWithoutDiskIntoMachineWithDisk_RefusedClearly()
    {
        byte[] snap;
        using (var plain = new DrivenMachine(Ram)) snap = plain.Machine.SaveSnapshot();
        string image = Path.Combine(Path.GetTempPath(), $"webvm-snapdisk-{Guid.NewGuid():N}.img");
        File.WriteAllBytes(image, new byte[1 << 20]);
        try
        {
            await using var source = new FileBlockSource(image, readOnly: true);
            using var withDisk = new DrivenMachine(Ram, c => c with { Disk = source });
            var e = Assert.Throws<SnapshotException>(() => withDisk.Machine.RestoreSnapshot(snap));
            Assert.Contains("virtio-blk0", e.Message);

            byte[] diskSnap = withDisk.Machine.SaveSnapshot();
            using var plain = new DrivenMachine(Ram);
            var back = Assert.Throws<SnapshotException>(() => plain.Machine.RestoreSnapshot(diskSnap));
            Assert.Contains("virtio-blk0", back.Message);
        }
        finally
        {
            File.Delete(image);
        }
    }
}
