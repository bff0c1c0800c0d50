using System.Buffers.Binary;

namespace Vm.Engine.Devices.Display;

/// <summary>
/// boot_params.screen_info (include/uapi/linux/screen_info.h, at offset 0 of the zero page) for a
/// VESA linear framebuffer, as a BIOS's VBE mode set would leave it. Linux's sysfb turns
/// VIDEO_TYPE_VLFB into a "vesa-framebuffer" platform device that the built-in vesafb drives
/// (Debian's kernel has no SYSFB_SIMPLEFB/SIMPLEDRM), giving /dev/fb0 and the fbcon console.
/// </summary>
public static class ScreenInfo
{
    public const byte VideoTypeVlfb = 0x23;

    /// <summary>Fills the screen_info fields; leaves ext_mem_k (0x02), which the loader owns, alone.</summary>
    public static void Write(Span<byte> zeroPage, DisplayMode mode, uint baseAddress)
    {
        zeroPage[0x00] = 0; // orig_x
        zeroPage[0x01] = 0; // orig_y
        zeroPage[0x06] = 0; // orig_video_mode
        zeroPage[0x07] = (byte)Math.Min(mode.Width / 8, 255); // orig_video_cols
        zeroPage[0x0E] = (byte)Math.Min(mode.Height / 16, 255); // orig_video_lines
        zeroPage[0x0F] = VideoTypeVlfb; // orig_video_isVGA
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[0x10..], 16); // orig_video_points: font height
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[0x12..], (ushort)mode.Width); // lfb_width
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[0x14..], (ushort)mode.Height); // lfb_height
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[0x16..], DisplayMode.BitsPerPixel); // lfb_depth
        BinaryPrimitives.WriteUInt32LittleEndian(zeroPage[0x18..], baseAddress); // lfb_base
        BinaryPrimitives.WriteUInt32LittleEndian(zeroPage[0x1C..], mode.RegionBytes >> 16); // lfb_size, 64 KiB units for VLFB
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[0x24..], (ushort)mode.Stride); // lfb_linelength
        zeroPage[0x26] = 8; zeroPage[0x27] = 16; // red size, position
        zeroPage[0x28] = 8; zeroPage[0x29] = 8;  // green
        zeroPage[0x2A] = 8; zeroPage[0x2B] = 0;  // blue
        zeroPage[0x2C] = 8; zeroPage[0x2D] = 24; // reserved
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[0x32..], 1); // pages
        // vesa_attributes, capabilities, ext_lfb_base: 0 (no VBE protected-mode interface, 32-bit base).
    }
}
