namespace Vm.Engine.Devices.Display;

/// <summary>Which device gives the guest its screen.</summary>
public enum DisplayDevice
{
    /// <summary>A VESA linear framebuffer from boot_params.screen_info: vesafb's /dev/fb0, no KMS.</summary>
    Vesafb,
    /// <summary>virtio-gpu (2D): the virtio_gpu DRM driver's /dev/dri/card0, with /dev/fb0 from DRM's fbdev emulation.</summary>
    VirtioGpu,
}

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
    /// <summary>The device that shows it (vesafb unless the image asks for virtio-gpu).</summary>
    public DisplayDevice Device { get; init; }

    public DisplayMode(int width, int height, DisplayDevice device = DisplayDevice.Vesafb)
    {
        // fbcon draws 8-pixel-wide glyph cells; odd widths also break the canvas's row copies.
        if (width < MinWidth || width > MaxWidth || height < MinHeight || height > MaxHeight || width % 8 != 0)
        {
            throw new DisplayModeException(
                $"Display mode {width}x{height} is not supported: the width must be {MinWidth}..{MaxWidth} and a multiple of 8, the height {MinHeight}..{MaxHeight}.");
        }
        Width = width;
        Height = height;
        Device = device;
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

    /// <summary>Picks the device: webvm.gpu=virtio for virtio-gpu, webvm.gpu=vesa (the default) for vesafb.</summary>
    public const string DeviceParameter = "webvm.gpu";

    /// <summary>
    /// The mode a lab image's command line asks for with webvm.display=WIDTHxHEIGHT (and the device
    /// with webvm.gpu=virtio|vesa), or null when it has no display.
    /// </summary>
    public static DisplayMode? FromKernelCommandLine(string commandLine)
    {
        DisplayMode? mode = null;
        string? device = null;
        foreach (var arg in commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (arg.StartsWith(CommandLineParameter + "=", StringComparison.Ordinal))
                mode = Parse(arg[(CommandLineParameter.Length + 1)..]);
            else if (arg.StartsWith(DeviceParameter + "=", StringComparison.Ordinal))
                device = arg[(DeviceParameter.Length + 1)..];
        }
        if (device is null) return mode;
        var kind = device switch
        {
            "virtio" => DisplayDevice.VirtioGpu,
            "vesa" => DisplayDevice.Vesafb,
            _ => throw new DisplayModeException($"{DeviceParameter}={device} is not a display device: use {DeviceParameter}=virtio (virtio-gpu, KMS) or {DeviceParameter}=vesa (the VESA framebuffer)."),
        };
        if (mode is null)
            throw new DisplayModeException($"{DeviceParameter}={device} needs a screen size: add {CommandLineParameter}=WIDTHxHEIGHT (e.g. {CommandLineParameter}=1024x768).");
        return mode with { Device = kind };
    }

    public override string ToString() => $"{Width}x{Height}x{BitsPerPixel}";

    /// <summary>The guest-physical bytes the mode reserves above RAM: the framebuffer's region for vesafb, none for virtio-gpu (its pictures live in the host).</summary>
    public uint ReservedPhysicalBytes => Device == DisplayDevice.Vesafb ? RegionBytes : 0;
}
