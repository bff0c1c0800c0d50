using Vm.Engine.Devices;
using Vm.Engine.Devices.Pci;
using Vm.Engine.Devices.Virtio;
using Vm.Engine.Memory;

namespace Vm.Engine.Tests.Virtio;

public sealed class VirtioRngTests
{
    [Fact]
    public void Request_FillsTheBufferFromTheSource_AndInterrupts()
    {
        using var ram = new PhysicalMemory(16u << 20);
        var io = new IoBus();
        var bus = new PciBus();
        var line = new RecordingLine();
        var rng = new VirtioRng(new GuestRam(ram), line, 9, 0xC100, VirtioRng.Seeded(42));
        bus.Attach(2, rng);
        io.Register(bus);
        var d = new LegacyVirtioDriver(io, ram, 2);
        d.Initialize(0, 1);

        d.Post(0, (0x40000, 64, true));

        Assert.Equal(((ushort)0, 64u), d.TakeUsed(0));
        var expected = new byte[64];
        VirtioRng.Seeded(42)(expected);
        Assert.Equal(expected, ram.Span(0x40000, 64).ToArray());
        Assert.True(line.Level);
        Assert.Equal(1, d.ReadIsr());
        Assert.False(line.Level); // reading ISR acknowledges
        Assert.Equal(64, rng.BytesServed);
    }

    [Fact]
    public void BufferOutsideRam_StopsTheDevice_NeedsReset()
    {
        using var ram = new PhysicalMemory(16u << 20);
        var io = new IoBus();
        var bus = new PciBus();
        var rng = new VirtioRng(new GuestRam(ram), new RecordingLine(), 9, 0xC100);
        bus.Attach(2, rng);
        io.Register(bus);
        var d = new LegacyVirtioDriver(io, ram, 2);
        d.Initialize(0, 1);

        d.Post(0, (0x00FFFFF0, 64, true)); // runs past the end of RAM

        Assert.Null(d.TakeUsed(0));
        Assert.NotEqual(0, d.Status & VirtioPciDevice.StatusNeedsReset);
        Assert.Contains("outside RAM", rng.LastError);
    }
}
