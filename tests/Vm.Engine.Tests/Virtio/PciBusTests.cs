using Vm.Engine.Devices;
using Vm.Engine.Devices.Pci;
using Vm.Engine.Devices.Virtio;
using Vm.Engine.Memory;

namespace Vm.Engine.Tests.Virtio;

public sealed class PciBusTests
{
    private static (IoBus Io, PciBus Bus, VirtioRng Rng, PhysicalMemory Ram) Machine()
    {
        var ram = new PhysicalMemory(16u << 20);
        var io = new IoBus();
        var bus = new PciBus();
        var rng = new VirtioRng(new GuestRam(ram), new RecordingLine(), 9, 0xC100, VirtioRng.Seeded(1));
        bus.Attach(2, rng);
        io.Register(bus);
        return (io, bus, rng, ram);
    }

    [Fact]
    public void Type1_AddressRegisterReadsBack_AsLinuxProbeChecks()
    {
        var (io, _, _, ram) = Machine();
        using var _ = ram;
        io.Out(PciBus.ConfigAddress, 0x80000000, 4);
        Assert.Equal(0x80000000u, io.In(PciBus.ConfigAddress, 4));
    }

    [Fact]
    public void Enumerate_FindsHostBridgeAndVirtioRng_EmptySlotsReadAllOnes()
    {
        var (io, _, _, ram) = Machine();
        using var _ = ram;
        var host = new LegacyVirtioDriver(io, ram, 0);
        Assert.Equal(0x12378086u, host.ConfigRead32(0));
        Assert.Equal(0x0600u, host.ConfigRead32(8) >> 16); // class: host bridge

        var rng = new LegacyVirtioDriver(io, ram, 2);
        Assert.Equal(0x10051AF4u, rng.ConfigRead32(0)); // legacy entropy device id
        Assert.Equal(0x00041AF4u, rng.ConfigRead32(0x2C)); // subsystem = virtio type 4
        Assert.Equal(0u, rng.ConfigRead32(8) & 0xFF); // revision 0: legacy ABI
        Assert.Equal(9u, rng.ConfigRead32(0x3C) & 0xFF); // interrupt line
        Assert.Equal(1u, (rng.ConfigRead32(0x3C) >> 8) & 0xFF); // INTA#

        Assert.Equal(0xFFFFFFFFu, new LegacyVirtioDriver(io, ram, 5).ConfigRead32(0));
    }

    [Fact]
    public void IoBar_SizeProbeAndMove_RegistersFollowTheBar()
    {
        var (io, _, rng, ram) = Machine();
        using var _ = ram;
        var d = new LegacyVirtioDriver(io, ram, 2);
        Assert.Equal(0xC100u, d.IoBase);
        d.ConfigWrite32(0x10, 0xFFFFFFFF);
        uint probe = d.ConfigRead32(0x10);
        Assert.Equal(1u, probe & 1); // I/O space
        Assert.Equal(32u, ~(probe & ~3u) + 1 & 0xFFFF); // 20 bytes of registers round up to 32

        d.ConfigWrite32(0x10, 0xD000);
        var moved = new LegacyVirtioDriver(io, ram, 2);
        Assert.Equal(0xD000, moved.IoBase);
        io.Out(0xD000 + 18, 1, 1);
        Assert.Equal(1, rng.Status);
        Assert.Equal(0xFFu, io.In(0xC100 + 18, 1)); // the old place decodes nothing now
    }
}
