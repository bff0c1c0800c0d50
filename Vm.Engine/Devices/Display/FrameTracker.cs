namespace Vm.Engine.Devices.Display;

/// <summary>A band of whole rows that changed since the last update: rows [Y, Y + Height).</summary>
public readonly record struct DirtyBand(int Y, int Height);

/// <summary>
/// Finds what changed in the framebuffer since the last frame and keeps an RGBA copy of it (the
/// byte order of a canvas ImageData) up to date, converting only the changed bands. The screen is
/// cut into bands of <see cref="BandRows"/> rows (one fbcon text line at 16-pixel glyphs); a band
/// is compared with the previous frame's copy of it (a vectorized compare runs at memory speed), so
/// an idle or typing guest costs one pass of compares and a band or two of conversion per frame,
/// not a full redraw. Measured in bench/display (see docs/display.md).
/// </summary>
public sealed class FrameTracker
{
    public const int BandRows = 16;
    private readonly IDisplaySurface _fb;
    private readonly byte[] _shadow;
    private bool _first = true;
    private long? _seenChanges;

    public FrameTracker(IDisplaySurface fb)
    {
        _fb = fb;
        _shadow = new byte[fb.Mode.FrameBytes];
        Rgba = new byte[fb.Mode.FrameBytes];
    }

    /// <summary>The whole picture in RGBA bytes (alpha 255), current as of the last <see cref="Update"/>.</summary>
    public byte[] Rgba { get; }

    /// <summary>Compares the framebuffer with the last frame; updates <see cref="Rgba"/> and returns the changed bands, merged when adjacent.</summary>
    public IReadOnlyList<DirtyBand> Update()
    {
        var mode = _fb.Mode;
        // A surface that counts its changes (virtio-gpu's scanout moves only on a flush) spares the compare.
        long? changes = _fb.ChangeCount;
        if (!_first && changes is not null && changes == _seenChanges) return [];
        _seenChanges = changes;
        var pixels = _fb.Pixels;
        var bands = new List<DirtyBand>();
        for (int y = 0; y < mode.Height; y += BandRows)
        {
            int rows = Math.Min(BandRows, mode.Height - y);
            int at = y * mode.Stride;
            var now = pixels.Slice(at, rows * mode.Stride);
            var before = _shadow.AsSpan(at, rows * mode.Stride);
            if (!_first && now.SequenceEqual(before)) continue;
            now.CopyTo(before);
            ToRgba(now, Rgba.AsSpan(at, rows * mode.Stride));
            if (bands.Count > 0 && bands[^1].Y + bands[^1].Height == y) bands[^1] = bands[^1] with { Height = bands[^1].Height + rows };
            else bands.Add(new DirtyBand(y, rows));
        }
        _first = false;
        return bands;
    }

    /// <summary>Forgets the previous frame: the next <see cref="Update"/> reports the whole screen (a new viewer attached).</summary>
    public void Invalidate() => _first = true;

    private static void ToRgba(ReadOnlySpan<byte> xrgb, Span<byte> rgba)
    {
        var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(xrgb);
        var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(rgba);
        for (int i = 0; i < src.Length; i++)
        {
            uint w = src[i]; // 0xXXRRGGBB
            dst[i] = 0xFF000000u | ((w >> 16) & 0xFF) | (w & 0xFF00) | ((w & 0xFF) << 16);
        }
    }
}
