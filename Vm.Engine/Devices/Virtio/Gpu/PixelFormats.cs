using System.Runtime.InteropServices;

namespace Vm.Engine.Devices.Virtio.Gpu;

/// <summary>Converts a row of a resource's pixels to the screen's XRGB8888 (little-endian words 0x00RRGGBB).</summary>
public static class PixelFormats
{
    public static bool IsSupported(uint format) => Enum.IsDefined((GpuFormat)format);

    public static void ToXrgb(GpuFormat format, ReadOnlySpan<byte> from, Span<byte> to)
    {
        // B8G8R8X8/B8G8R8A8 (Linux's XRGB8888/ARGB8888) are already in the screen's byte order: a plain copy.
        if (format is GpuFormat.B8G8R8X8 or GpuFormat.B8G8R8A8)
        {
            from.CopyTo(to);
            return;
        }
        var src = MemoryMarshal.Cast<byte, uint>(from);
        var dst = MemoryMarshal.Cast<byte, uint>(to);
        for (int i = 0; i < src.Length; i++)
        {
            // The word read little-endian has byte 0 in bits 0..7: the format's first letter.
            uint w = src[i];
            dst[i] = format switch
            {
                // Bytes A/X, R, G, B.
                GpuFormat.A8R8G8B8 or GpuFormat.X8R8G8B8 => ((w >> 8) & 0xFF) << 16 | ((w >> 16) & 0xFF) << 8 | (w >> 24),
                // Bytes R, G, B, A/X.
                GpuFormat.R8G8B8A8 or GpuFormat.R8G8B8X8 => (w & 0xFF) << 16 | (w & 0xFF00) | ((w >> 16) & 0xFF),
                // Bytes A/X, B, G, R.
                _ => (w >> 24) << 16 | ((w >> 16) & 0xFF) << 8 | ((w >> 8) & 0xFF),
            };
        }
    }
}
