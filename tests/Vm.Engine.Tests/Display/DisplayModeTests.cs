using Vm.Engine.Devices.Display;

namespace Vm.Engine.Tests.Display;

public sealed class DisplayModeTests
{
    [Theory]
    [InlineData(100, 100)]
    [InlineData(4096, 768)]
    [InlineData(1022, 768)]
    [InlineData(1024, 4000)]
    public void NewMode_Unsupported_ThrowsWithTheLimits(int w, int h)
    {
        var e = Assert.Throws<DisplayModeException>(() => new DisplayMode(w, h));
        Assert.Contains($"{w}x{h} is not supported", e.Message);
        Assert.Contains("multiple of 8", e.Message);
    }

    [Theory]
    [InlineData("1024")]
    [InlineData("axb")]
    [InlineData("")]
    public void Parse_NotWidthByHeight_Throws(string text)
    {
        var e = Assert.Throws<DisplayModeException>(() => DisplayMode.Parse(text));
        Assert.Contains("WIDTHxHEIGHT", e.Message);
    }

    [Fact]
    public void Parse_Valid_GivesTheModeAndItsRegion()
    {
        var m = DisplayMode.Parse("800x600");
        Assert.Equal(800 * 4, m.Stride);
        Assert.Equal(800u * 600 * 4 / 65536 * 65536 + 65536, m.RegionBytes);
    }

    [Fact]
    public void Machine_FramebufferDoesNotFitThePhysicalAddressSpace_ClearErrorAndNoMachine()
    {
        var e = Assert.Throws<DisplayModeException>(() => new Machine(new MachineConfig { MemoryBytes = 0xF0000000u, Display = DisplayMode.Default }));
        Assert.Contains("exceed", e.Message);
        Assert.Contains("smaller mode", e.Message);
    }

    [Fact]
    public void Machine_WithDisplay_FramebufferSitsAboveRamAndScreenInfoAnnouncesIt()
    {
        using var m = new Machine(new MachineConfig { MemoryBytes = 64u << 20, Display = new DisplayMode(800, 600) });
        Assert.Equal(64u << 20, m.Framebuffer!.Base);
        Assert.Equal((64u << 20) + m.Framebuffer.Mode.RegionBytes, m.Memory.Size);

        var zp = new byte[4096];
        ScreenInfo.Write(zp, m.Framebuffer.Mode, m.Framebuffer.Base);
        Assert.Equal(0x23, zp[0x0F]);
        Assert.Equal(800, BitConverter.ToUInt16(zp, 0x12));
        Assert.Equal(600, BitConverter.ToUInt16(zp, 0x14));
        Assert.Equal(32, BitConverter.ToUInt16(zp, 0x16));
        Assert.Equal(64u << 20, BitConverter.ToUInt32(zp, 0x18));
        Assert.Equal(3200, BitConverter.ToUInt16(zp, 0x24));
    }

    [Fact]
    public void PixelAt_OutsideTheScreen_Throws()
    {
        using var m = new Machine(new MachineConfig { MemoryBytes = 64u << 20, Display = new DisplayMode(800, 600) });
        Assert.Throws<ArgumentOutOfRangeException>(() => m.Framebuffer!.PixelAt(800, 0));
    }

    [Fact]
    public void InputBeforeTheGuestHasADriver_IsDroppedWithoutHarm()
    {
        using var m = new Machine(new MachineConfig { MemoryBytes = 64u << 20, Display = new DisplayMode(800, 600) });
        m.Keyboard!.Key(30, true);
        m.Tablet!.MoveTo(5, 5);
        m.Keyboard.Poll();
        m.Tablet.Poll();
        Assert.Equal(2, m.Keyboard.Dropped);
        Assert.Equal(3, m.Tablet.Dropped);
        Assert.Equal(0, m.Keyboard.Delivered);
        Assert.Null(m.Keyboard.LastError);
    }

    [Theory]
    [InlineData("KeyA", 30)]
    [InlineData("KeyQ", 16)]
    [InlineData("KeyM", 50)]
    [InlineData("Digit1", 2)]
    [InlineData("Digit0", 11)]
    [InlineData("Enter", 28)]
    [InlineData("F1", 59)]
    [InlineData("F12", 88)]
    [InlineData("ArrowUp", 103)]
    public void DomKeyCodes_MapPhysicalKeysToLinuxCodes(string code, int linux) => Assert.Equal((ushort)linux, DomKeyCodes.ToLinux(code));

    [Fact]
    public void DomKeyCodes_UnknownKey_IsNull() => Assert.Null(DomKeyCodes.ToLinux("LaunchMail"));
}
