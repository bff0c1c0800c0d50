using Vm.Engine.Boot;

namespace Vm.Engine.Tests.Boot;

public class LinuxBootTests
{
    private static Machine NewMachine() => new(new MachineConfig { MemoryBytes = 64u << 20 });

    [Fact]
    public void Load_GarbageKernel_FailsWithClearError()
    {
        using var m = NewMachine();
        var junk = new byte[64 * 1024];
        new Random(1).NextBytes(junk);
        var e = Assert.Throws<BootImageException>(() => m.LoadLinux(junk, null, "console=ttyS0"));
        Assert.Contains("bzImage", e.Message);
    }

    [Fact]
    public void Load_TinyKernel_FailsWithClearError()
    {
        using var m = NewMachine();
        var e = Assert.Throws<BootImageException>(() => m.LoadLinux(new byte[100], null, ""));
        Assert.Contains("too small", e.Message);
    }

    [Fact]
    public void Load_BadInitrd_FailsWithClearError()
    {
        using var m = NewMachine();
        byte[] kernel = File.ReadAllBytes(GuestImages.Kernel);
        var e = Assert.Throws<BootImageException>(() => m.LoadLinux(kernel, "this is not an archive at all"u8.ToArray(), "console=ttyS0"));
        Assert.Contains("Initrd", e.Message);
    }

    [Fact]
    public void Load_TooLittleRam_FailsWithClearError()
    {
        using var m = new Machine(new MachineConfig { MemoryBytes = 16u << 20 });
        byte[] kernel = File.ReadAllBytes(GuestImages.Kernel);
        var e = Assert.Throws<BootImageException>(() => m.LoadLinux(kernel, null, "console=ttyS0"));
        Assert.Contains("too small", e.Message);
    }

    [Fact]
    public void Load_RealKernel_WritesZeroPageAndEntersProtectedMode()
    {
        using var m = NewMachine();
        byte[] kernel = File.ReadAllBytes(GuestImages.Kernel);
        byte[] initrd = File.ReadAllBytes(GuestImages.Initrd);
        var info = m.LoadLinux(kernel, initrd, "console=ttyS0 quiet");
        Assert.True(info.Protocol >= 0x20F);
        Assert.Equal(LinuxBoot.KernelAddr, m.Cpu.S.Eip);
        Assert.Equal(LinuxBoot.ZeroPage, m.Cpu.S.R[6]);
        Assert.Equal(4, m.Memory.Read8(LinuxBoot.ZeroPage + 0x1E8)); // e820 entries
        Assert.Equal(info.InitrdAddr, m.Memory.Read32(LinuxBoot.ZeroPage + 0x218));
        Assert.Equal(0u, info.InitrdAddr & 0xFFF);
        Assert.True(info.InitrdAddr + info.InitrdSize <= 64u << 20);
    }
}
