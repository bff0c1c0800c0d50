namespace Vm.Engine.Devices.Display;

/// <summary>A display mode the host cannot offer (size or depth out of range).</summary>
public sealed class DisplayModeException(string message) : Exception(message);

/// <summary>
/// The linear framebuffer's mode: width and height in pixels, 32 bits per pixel in the order a
/// little-endian XRGB8888 word has them (bytes B, G, R, X), which is what Linux's vesafb and fbcon
/// draw in when screen_info says red at bit 16, green at 8, blue at 0.
/// </summary>
public sealed record DisplayMode
{
    public const int BitsPerPixel = 32;
    public const int MinWidth = 320, MaxWidth = 1920, MinHeight = 200, MaxHeight = 1200;

    public int Width { get; }
    public int Height { get; }

    public DisplayMode(int width, int height)
    {
        // fbcon draws 8-pixel-wide glyph cells; odd widths also break the canvas's row copies.
        if (width < MinWidth || width > MaxWidth || height < MinHeight || height > MaxHeight || width % 8 != 0)
        {
            throw new DisplayModeException(
                $"Display mode {width}x{height} is not supported: the width must be {MinWidth}..{MaxWidth} and a multiple of 8, the height {MinHeight}..{MaxHeight}.");
        }
        Width = width;
        Height = height;
    }

    /// <summary>Bytes per row (no padding).</summary>
    public int Stride => Width * 4;

    /// <summary>Bytes the visible picture takes.</summary>
    public int FrameBytes => Stride * Height;

    /// <summary>The size of the region reserved for it: whole 64 KiB units, as screen_info.lfb_size counts them.</summary>
    public uint RegionBytes => (uint)((FrameBytes + 0xFFFF) & ~0xFFFF);

    public static DisplayMode Default { get; } = new(1024, 768);

    /// <summary>Parses "WIDTHxHEIGHT" (e.g. "1024x768").</summary>
    public static DisplayMode Parse(string text)
    {
        var parts = text.Split('x', 'X');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int w) || !int.TryParse(parts[1], out int h))
            throw new DisplayModeException($"Display mode '{text}' is not WIDTHxHEIGHT (e.g. 1024x768).");
        return new DisplayMode(w, h);
    }

    /// <summary>The kernel command-line parameter that gives a lab image its display (the kernel ignores it: dotted, no such module).</summary>
    public const string CommandLineParameter = "webvm.display";

    /// <summary>The mode a lab image's command line asks for with webvm.display=WIDTHxHEIGHT, or null when it has no display.</summary>
    public static DisplayMode? FromKernelCommandLine(string commandLine)
    {
        foreach (var arg in commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (arg.StartsWith(CommandLineParameter + "=", StringComparison.Ordinal))
                return Parse(arg[(CommandLineParameter.Length + 1)..]);
        }
        return null;
    }

    public override string ToString() => $"{Width}x{Height}x{BitsPerPixel}";
}
