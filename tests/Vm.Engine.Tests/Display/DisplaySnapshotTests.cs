using Vm.Engine.Devices.Display;
using Vm.Engine.Snapshots;
using Vm.Engine.Tests.Snapshots;

namespace Vm.Engine.Tests.Display;

/// <summary>
/// A machine with a display saves and restores like any other: the picture (it is RAM) and the
/// input devices' transport state come back, and the restored guest still takes keys.
/// </summary>
public sealed class DisplaySnapshotTests
{
    private static MachineConfig WithDisplay(MachineConfig c) => c with { Display = DisplayMode.Default };

    [Fact]
    public void SnapshotWithDisplay_Restored_PictureIsBackAndTheKeyboardStillTypes()
    {
        using var a = DrivenMachine.Booted(128u << 20, WithDisplay);
        a.Type("i=0; while [ $i -lt 16 ]; do printf '\\063\\125\\252\\000'; i=$((i+1)); done | dd of=/dev/fb0 bs=64 seek=3200 conv=notrunc 2>/dev/null; echo drawn-$((1+1))");
        a.RunUntil("drawn-2", maxSlices: 5_000);
        var fbA = a.Machine.Framebuffer!;
        // Byte 3200*64 = 204800 = row 50, x 0.
        Assert.Equal(0xAA5533u, fbA.PixelAt(0, 50));
        Assert.Equal(0xAA5533u, fbA.PixelAt(15, 50));
        byte[] snapshot = a.Machine.SaveSnapshot();

        using var b = new DrivenMachine(128u << 20, WithDisplay);
        b.Machine.RestoreSnapshot(snapshot);
        Assert.Equal(0xAA5533u, b.Machine.Framebuffer!.PixelAt(0, 50));
        Assert.Equal(0xAA5533u, b.Machine.Framebuffer.PixelAt(15, 50));
        Assert.True(b.Machine.Keyboard!.DriverOk, "the restored keyboard's driver state");

        KeyboardTyping.Type(b.Machine.Keyboard, "echo after-restore >/tmp/r\n");
        int mark = b.Output.Length;
        for (int i = 0; i < 40; i++)
        {
            b.RunSlices(200);
            b.Type("cat /tmp/r 2>/dev/null; echo checked-$((2+3))");
            b.RunUntil("checked-5", maxSlices: 3_000, from: mark);
            if (b.Output.IndexOf("\nafter-restore", mark, StringComparison.Ordinal) >= 0) return;
            mark = b.Output.Length;
        }
        Assert.Fail("The keys typed after the restore did not run in the guest.");
    }

    [Fact]
    public void SnapshotWithDisplay_RestoredIntoAMachineWithout_IsRefusedClearly()
    {
        using var a = new DrivenMachine(64u << 20, WithDisplay);
        byte[] snapshot = a.Machine.SaveSnapshot();
        using var b = new DrivenMachine(64u << 20);
        var e = Assert.Throws<SnapshotException>(() => b.Machine.RestoreSnapshot(snapshot));
        Assert.Contains("MiB", e.Message);
    }
}
