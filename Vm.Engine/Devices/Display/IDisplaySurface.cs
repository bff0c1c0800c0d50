namespace Vm.Engine.Devices.Display;

/// <summary>
/// What the machine's screen shows, whichever device drives it: vesafb's framebuffer (guest memory
/// the CPU writes directly) or virtio-gpu's scanout (a host image updated when the guest flushes).
/// <see cref="FrameTracker"/> and the lab page's canvas read it the same way.
/// </summary>
public interface IDisplaySurface
{
    DisplayMode Mode { get; }

    /// <summary>The visible picture, XRGB8888 rows of <see cref="DisplayMode.Stride"/> bytes.</summary>
    ReadOnlySpan<byte> Pixels { get; }

    /// <summary>
    /// A number that moves whenever the picture changes, or null when the surface cannot tell (the
    /// guest writes a framebuffer with plain stores): a viewer skips comparing a frame whose count
    /// has not moved.
    /// </summary>
    long? ChangeCount { get; }

    /// <summary>The pixel at (x, y) as 0xRRGGBB.</summary>
    uint PixelAt(int x, int y);
}
