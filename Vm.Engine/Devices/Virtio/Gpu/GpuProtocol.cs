namespace Vm.Engine.Devices.Virtio.Gpu;

/// <summary>
/// The 2D subset of the virtio-gpu wire protocol (virtio 1.2 §5.7.6): command and response codes,
/// pixel formats, and the sizes of the structures this device reads and writes. Every structure
/// starts with the 24-byte control header: type, flags, fence_id (u64), ctx_id, ring_idx, 3 padding.
/// </summary>
public static class GpuProtocol
{
    public const uint CmdGetDisplayInfo = 0x0100;
    public const uint CmdResourceCreate2D = 0x0101;
    public const uint CmdResourceUnref = 0x0102;
    public const uint CmdSetScanout = 0x0103;
    public const uint CmdResourceFlush = 0x0104;
    public const uint CmdTransferToHost2D = 0x0105;
    public const uint CmdResourceAttachBacking = 0x0106;
    public const uint CmdResourceDetachBacking = 0x0107;
    public const uint CmdGetCapsetInfo = 0x0108;
    public const uint CmdGetCapset = 0x0109;
    public const uint CmdGetEdid = 0x010A;
    public const uint CmdUpdateCursor = 0x0300;
    public const uint CmdMoveCursor = 0x0301;

    public const uint RespOkNoData = 0x1100;
    public const uint RespOkDisplayInfo = 0x1101;
    public const uint RespErrUnspec = 0x1200;
    public const uint RespErrOutOfMemory = 0x1201;
    public const uint RespErrInvalidScanoutId = 0x1202;
    public const uint RespErrInvalidResourceId = 0x1203;
    public const uint RespErrInvalidContextId = 0x1204;
    public const uint RespErrInvalidParameter = 0x1205;

    /// <summary>ctrl_hdr.flags: the driver wants the response to carry its fence (§5.7.6.7).</summary>
    public const uint FlagFence = 1;

    public const int HeaderBytes = 24;
    /// <summary>The most scanouts the protocol describes (VIRTIO_GPU_MAX_SCANOUTS): GET_DISPLAY_INFO answers for all of them.</summary>
    public const int MaxScanouts = 16;
    public const int DisplayInfoBytes = HeaderBytes + MaxScanouts * 24;
    public const int MemEntryBytes = 16;

    /// <summary>The response codes by name, for error messages.</summary>
    public static string Name(uint code) => code switch
    {
        RespOkNoData => "OK_NODATA",
        RespOkDisplayInfo => "OK_DISPLAY_INFO",
        RespErrUnspec => "ERR_UNSPEC",
        RespErrOutOfMemory => "ERR_OUT_OF_MEMORY",
        RespErrInvalidScanoutId => "ERR_INVALID_SCANOUT_ID",
        RespErrInvalidResourceId => "ERR_INVALID_RESOURCE_ID",
        RespErrInvalidContextId => "ERR_INVALID_CONTEXT_ID",
        RespErrInvalidParameter => "ERR_INVALID_PARAMETER",
        _ => $"0x{code:X4}",
    };
}

/// <summary>
/// virtio_gpu_formats (§5.7.6.8): each names the byte order of a 32-bit pixel in memory (B8G8R8X8:
/// bytes B, G, R, X, which is a little-endian XRGB8888 word: what Linux's DRM_FORMAT_XRGB8888 uses).
/// </summary>
public enum GpuFormat : uint
{
    B8G8R8A8 = 1,
    B8G8R8X8 = 2,
    A8R8G8B8 = 3,
    X8R8G8B8 = 4,
    R8G8B8A8 = 67,
    X8B8G8R8 = 68,
    A8B8G8R8 = 121,
    R8G8B8X8 = 134,
}

/// <summary>A rectangle of a resource or a scanout, in pixels (virtio_gpu_rect).</summary>
public readonly record struct GpuRect(uint X, uint Y, uint Width, uint Height)
{
    public bool IsEmpty => Width == 0 || Height == 0;

    /// <summary>Whether it lies inside a width × height area (computed in 64 bits: a guest's sums may wrap).</summary>
    public bool FitsIn(uint width, uint height) => (ulong)X + Width <= width && (ulong)Y + Height <= height;

    public override string ToString() => $"{Width}x{Height}+{X}+{Y}";
}
