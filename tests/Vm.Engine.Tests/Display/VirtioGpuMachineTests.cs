using Vm.Engine.Devices.Display;

namespace Vm.Engine.Tests.Display;

/// <summary>How an image asks for virtio-gpu, and what the machine then has (no framebuffer region, a PCI device).</summary>
public sealed class VirtioGpuMachineTests
{
    [Fact]
    public void CommandLine_WithGpuVirtio_AsksForVirtioGpu()
    {
        var mode = DisplayMode.FromKernelCommandLine("console=ttyS0 webvm.gpu=virtio webvm.display=800x600");
        Assert.Equal(new DisplayMode(800, 600, DisplayDevice.VirtioGpu), mode);
        Assert.Equal(DisplayDevice.Vesafb, DisplayMode.FromKernelCommandLine("webvm.display=800x600")!.Device);
        Assert.Equal(DisplayDevice.Vesafb, DisplayMode.FromKernelCommandLine("webvm.display=800x600 webvm.gpu=vesa")!.Device);
        Assert.Null(DisplayMode.FromKernelCommandLine("console=ttyS0"));
    }

    [Fact]
    public void CommandLine_WithAnUnknownGpu_OrAGpuWithoutASize_IsAClearError()
    {
        var e = Assert.Throws<DisplayModeException>(() => DisplayMode.FromKernelCommandLine("webvm.display=800x600 webvm.gpu=voodoo"));
        Assert.Contains("webvm.gpu=voodoo is not a display device", e.Message);
        e = Assert.Throws<DisplayModeException>(() => DisplayMode.FromKernelCommandLine("webvm.gpu=virtio"));
        Assert.Contains("needs a screen size", e.Message);
    }

    [Fact]
    public void MachineWithVirtioGpu_HasNoFramebufferRegion_AndTheGpuIsItsScreen()
    {
        using var m = new Machine(new MachineConfig { MemoryBytes = 64u << 20, Display = new DisplayMode(800, 600, DisplayDevice.VirtioGpu) });
        Assert.Null(m.Framebuffer);
        Assert.NotNull(m.Gpu);
        Assert.Same(m.Gpu!.Screen, m.Screen);
        Assert.Equal(64u << 20, m.Memory.Size);
        Assert.NotNull(m.Keyboard);
        Assert.NotNull(m.Tablet);
        // PCI 00:05.0, vendor 1af4, device 1050 (virtio 1.0 device type 16), class display/other.
        m.Io.Out(0xCF8, 0x80000000u | (5u << 11), 4);
        Assert.Equal(0x10501AF4u, m.Io.In(0xCFC, 4));
        m.Io.Out(0xCF8, 0x80000000u | (5u << 11) | 8, 4);
        Assert.Equal(0x038000u, m.Io.In(0xCFC, 4) >> 8);
    }

    [Fact]
    public void MachineWithVesafb_HasNoGpu()
    {
        using var m = new Machine(new MachineConfig { MemoryBytes = 64u << 20, Display = new DisplayMode(800, 600) });
        Assert.Null(m.Gpu);
        Assert.Same(m.Framebuffer, m.Screen);
    }
}
