using Vm.Engine.Memory;

namespace Vm.Engine.Devices.Display;

/// <summary>
/// The guest's linear framebuffer: plain guest-physical memory just above the guest's usable RAM
/// (the same native buffer, so the CPU's loads and stores need no MMIO path and a snapshot's RAM
/// section carries the picture), left out of the e820 map so Linux treats it as device memory and
/// vesafb maps it. The host only reads it.
/// </summary>
public sealed class Framebuffer : IDisplaySurface
{
    private readonly PhysicalMemory _memory;

    public Framebuffer(PhysicalMemory memory, uint baseAddress, DisplayMode mode)
    {
        if ((ulong)baseAddress + mode.RegionBytes > memory.Size)
            throw new DisplayModeException($"A {mode} framebuffer at 0x{baseAddress:X} does not fit in the machine's {memory.Size >> 20} MiB of physical memory.");
        _memory = memory;
        Base = baseAddress;
        Mode = mode;
    }

    public uint Base { get; }
    public DisplayMode Mode { get; }

    /// <summary>The visible picture, XRGB8888 rows of <see cref="DisplayMode.Stride"/> bytes. Valid while the machine lives.</summary>
    public ReadOnlySpan<byte> Pixels => _memory.Span(Base, Mode.FrameBytes);

    /// <summary>Unknown: the guest changes the picture with plain stores, so a viewer compares every frame.</summary>
    public long? ChangeCount => null;

    /// <summary>The pixel at (x, y) as 0xRRGGBB.</summary>
    public uint PixelAt(int x, int y)
    {
        if ((uint)x >= (uint)Mode.Width || (uint)y >= (uint)Mode.Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"({x}, {y}) is outside the {Mode.Width}x{Mode.Height} screen.");
        return _memory.Read32(Base + (uint)(y * Mode.Stride + x * 4)) & 0xFFFFFF;
    }
}
