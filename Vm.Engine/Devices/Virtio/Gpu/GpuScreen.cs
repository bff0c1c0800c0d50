using System.Buffers.Binary;
using Vm.Engine.Devices.Display;

namespace Vm.Engine.Devices.Virtio.Gpu;

/// <summary>
/// Scanout 0 as the screen shows it: a host picture of the display mode's size in XRGB8888,
/// updated only by RESOURCE_FLUSH (a transfer alone changes the resource, not what is shown, as on
/// real hardware the flush is the "present"). The scanout shows the rectangle <see cref="Source"/>
/// of its resource from the screen's top-left corner; with no resource the screen is black.
/// </summary>
public sealed class GpuScreen : IDisplaySurface
{
    private readonly byte[] _pixels;

    public GpuScreen(DisplayMode mode)
    {
        Mode = mode;
        _pixels = new byte[mode.FrameBytes];
    }

    public DisplayMode Mode { get; }
    public ReadOnlySpan<byte> Pixels => _pixels;
    internal byte[] Buffer => _pixels;
    public long? ChangeCount => Changes;
    internal long Changes;

    /// <summary>The resource shown (0: the scanout is off) and which part of it.</summary>
    public uint ResourceId { get; internal set; }
    public GpuRect Source { get; internal set; }

    public uint PixelAt(int x, int y)
    {
        if ((uint)x >= (uint)Mode.Width || (uint)y >= (uint)Mode.Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"({x}, {y}) is outside the {Mode.Width}x{Mode.Height} screen.");
        return BinaryPrimitives.ReadUInt32LittleEndian(_pixels.AsSpan(y * Mode.Stride + x * 4)) & 0xFFFFFF;
    }

    /// <summary>Shows <paramref name="source"/> of <paramref name="resource"/> (null: turns the scanout off) and draws what the resource holds.</summary>
    internal void Show(GpuResource? resource, GpuRect source)
    {
        ResourceId = resource?.Id ?? 0;
        Source = source;
        Array.Clear(_pixels);
        if (resource != null) Flush(resource, new GpuRect(0, 0, resource.Width, resource.Height));
        Changes++;
    }

    /// <summary>Copies the part of <paramref name="rect"/> (resource coordinates) that the scanout shows onto the screen.</summary>
    internal void Flush(GpuResource resource, GpuRect rect)
    {
        if (resource.Id != ResourceId) return;
        // Intersect with the scanned-out source rectangle, then with the screen.
        long x0 = Math.Max(rect.X, Source.X), y0 = Math.Max(rect.Y, Source.Y);
        long x1 = Math.Min((long)rect.X + rect.Width, (long)Source.X + Source.Width);
        long y1 = Math.Min((long)rect.Y + rect.Height, (long)Source.Y + Source.Height);
        x1 = Math.Min(x1, Source.X + (long)Mode.Width);
        y1 = Math.Min(y1, Source.Y + (long)Mode.Height);
        if (x0 >= x1 || y0 >= y1) return;
        int width = (int)(x1 - x0);
        for (long y = y0; y < y1; y++)
        {
            var from = resource.Pixels.AsSpan((int)(y * resource.Stride + x0 * 4), width * 4);
            var to = _pixels.AsSpan((int)((y - Source.Y) * Mode.Stride + (x0 - Source.X) * 4), width * 4);
            PixelFormats.ToXrgb(resource.Format, from, to);
        }
        Changes++;
    }

    /// <summary>Restores a saved picture (snapshots).</summary>
    internal void Load(ReadOnlySpan<byte> pixels, uint resourceId, GpuRect source)
    {
        pixels.CopyTo(_pixels);
        ResourceId = resourceId;
        Source = source;
        Changes++;
    }
}
