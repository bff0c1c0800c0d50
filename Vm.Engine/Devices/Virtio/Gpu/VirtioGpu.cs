using System.Buffers.Binary;
using Vm.Engine.Devices.Display;

namespace Vm.Engine.Devices.Virtio.Gpu;

/// <summary>
/// virtio-gpu in 2D mode (virtio 1.2 §5.7): the KMS display Linux's virtio_gpu driver drives
/// (/dev/dri/card0, and /dev/fb0 through DRM's fbdev emulation). One scanout of the configured mode;
/// resources live in host memory; the guest attaches its pages as their backing, transfers
/// rectangles into them and flushes what changed to the scanout, which is <see cref="Screen"/>.
/// No 3D (virgl), EDID, blob resources or UUIDs are offered: the driver then uses only the commands
/// handled here. A bad command (unknown resource, rectangle outside the resource, backing outside
/// RAM...) gets the protocol's error response and is counted in <see cref="CommandErrors"/>; the
/// device and the host go on. Commands complete synchronously, so a fenced command's fence is
/// signalled by its own response.
/// </summary>
public sealed partial class VirtioGpu : VirtioPciModernDevice
{
    public const int ControlQueue = 0, CursorQueue = 1;
    /// <summary>The largest resource side accepted (QEMU's limit too).</summary>
    public const uint MaxSide = 16384;
    /// <summary>Backing entries one ATTACH_BACKING may carry (a 16384² resource in 4 KiB pages is 262144; Linux merges contiguous pages).</summary>
    public const uint MaxBackingEntries = 1 << 18;

    private readonly Dictionary<uint, GpuResource> _resources = [];
    private readonly long _maxResourceBytes;
    private long _resourceBytes;

    /// <param name="maxResourceBytes">Host memory all resources together may take; a create beyond it is ERR_OUT_OF_MEMORY.</param>
    public VirtioGpu(GuestRam ram, IInterruptLine irq, byte irqNumber, ushort ioBase, DisplayMode mode, long maxResourceBytes = 256L << 20)
        : base(ram, irq, irqNumber, virtioType: 16, classCode: 0x038000, ioBase, queueSizes: [256, 16])
    {
        Screen = new GpuScreen(mode);
        _maxResourceBytes = maxResourceBytes;
    }

    public override string SnapshotSection => "virtio-gpu";

    /// <summary>Scanout 0: what the display shows.</summary>
    public GpuScreen Screen { get; }

    /// <summary>Control commands handled, and how many of them were answered with an error.</summary>
    public long Commands, CommandErrors;
    /// <summary>Why the last command that failed did (null until one does).</summary>
    public string? LastCommandError { get; private set; }
    /// <summary>The guest's pointer image and where it is (the cursor queue); the canvas shows the browser's own pointer.</summary>
    public uint CursorResource, CursorX, CursorY;

    public IReadOnlyCollection<GpuResource> Resources => _resources.Values;
    public long ResourceBytes => _resourceBytes;

    // virtio_gpu_config (§5.7.4): events_read, events_clear, num_scanouts, num_capsets. No event is ever raised.
    protected override byte ReadDeviceConfig(int offset) => offset is >= 8 and < 12 ? (byte)(offset == 8 ? 1 : 0) : (byte)0;

    protected override void QueueNotified(int queue)
    {
        var q = Queues[queue];
        bool any = false;
        while (q.Pop() is { } chain)
        {
            byte[] request = chain.ReadAll(Ram);
            uint written = 0;
            if (queue == ControlQueue)
            {
                byte[] response = Execute(request);
                written = chain.WriteAll(Ram, response);
            }
            else
            {
                Cursor(request);
            }
            q.Push(chain.Head, written);
            any = true;
        }
        if (any) NotifyUsed(q);
    }

    /// <summary>Runs one control command; returns its response (header first, fence copied when asked).</summary>
    private byte[] Execute(byte[] request)
    {
        Commands++;
        byte[] response;
        if (request.Length < GpuProtocol.HeaderBytes)
        {
            response = Error(GpuProtocol.RespErrUnspec, $"a {request.Length}-byte request is shorter than the control header");
        }
        else
        {
            var r = new Request(request);
            try
            {
                response = r.Type switch
                {
                    GpuProtocol.CmdGetDisplayInfo => DisplayInfo(),
                    GpuProtocol.CmdResourceCreate2D => Create2D(r),
                    GpuProtocol.CmdResourceUnref => Unref(r),
                    GpuProtocol.CmdSetScanout => SetScanout(r),
                    GpuProtocol.CmdResourceFlush => Flush(r),
                    GpuProtocol.CmdTransferToHost2D => Transfer(r),
                    GpuProtocol.CmdResourceAttachBacking => AttachBacking(r),
                    GpuProtocol.CmdResourceDetachBacking => DetachBacking(r),
                    _ => Error(GpuProtocol.RespErrUnspec, $"command 0x{r.Type:X4} is not supported (2D only, no EDID or capsets offered)"),
                };
            }
            catch (CommandFailed e)
            {
                response = Error(e.Code, $"{CommandName(r.Type)}: {e.Message}");
            }
        }
        if (request.Length >= GpuProtocol.HeaderBytes && (BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(4)) & GpuProtocol.FlagFence) != 0)
        {
            // §5.7.6.7: the response to a fenced command carries the flag, fence_id, ctx_id and ring_idx back.
            BinaryPrimitives.WriteUInt32LittleEndian(response.AsSpan(4), GpuProtocol.FlagFence);
            request.AsSpan(8, 13).CopyTo(response.AsSpan(8));
        }
        return response;
    }

    private byte[] Error(uint code, string why)
    {
        CommandErrors++;
        LastCommandError = $"{why} ({GpuProtocol.Name(code)})";
        return Header(code, GpuProtocol.HeaderBytes);
    }

    private static byte[] Header(uint type, int size)
    {
        var b = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(b, type);
        return b;
    }

    private static byte[] Ok() => Header(GpuProtocol.RespOkNoData, GpuProtocol.HeaderBytes);

    private byte[] DisplayInfo()
    {
        var b = Header(GpuProtocol.RespOkDisplayInfo, GpuProtocol.DisplayInfoBytes);
        // pmodes[0]: r (x, y, width, height), enabled, flags. The other fifteen stay zero: no such scanout.
        var one = b.AsSpan(GpuProtocol.HeaderBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(one[8..], (uint)Screen.Mode.Width);
        BinaryPrimitives.WriteUInt32LittleEndian(one[12..], (uint)Screen.Mode.Height);
        BinaryPrimitives.WriteUInt32LittleEndian(one[16..], 1);
        return b;
    }

    // virtio_gpu_resource_create_2d: resource_id, format, width, height.
    private byte[] Create2D(Request r)
    {
        r.Need(16);
        uint id = r.U32(0), format = r.U32(4), width = r.U32(8), height = r.U32(12);
        if (id == 0 || _resources.ContainsKey(id)) throw new CommandFailed(GpuProtocol.RespErrInvalidResourceId, id == 0 ? "resource id 0 is reserved" : $"resource {id} already exists");
        if (!PixelFormats.IsSupported(format)) throw new CommandFailed(GpuProtocol.RespErrInvalidParameter, $"format {format} is not a 32-bit virtio-gpu format");
        if (width == 0 || height == 0 || width > MaxSide || height > MaxSide)
            throw new CommandFailed(GpuProtocol.RespErrInvalidParameter, $"{width}x{height} is not a size from 1x1 to {MaxSide}x{MaxSide}");
        long bytes = (long)width * height * GpuResource.BytesPerPixel;
        if (_resourceBytes + bytes > _maxResourceBytes)
            throw new CommandFailed(GpuProtocol.RespErrOutOfMemory, $"a {width}x{height} resource would take the host's resources to {(_resourceBytes + bytes) >> 20} MiB, over the {_maxResourceBytes >> 20} MiB limit");
        _resources[id] = new GpuResource(id, (GpuFormat)format, width, height);
        _resourceBytes += bytes;
        return Ok();
    }

    // virtio_gpu_resource_unref: resource_id, padding.
    private byte[] Unref(Request r)
    {
        r.Need(4);
        var res = Resource(r.U32(0));
        // A resource going away is no longer shown (as QEMU does): the scanout turns off.
        if (Screen.ResourceId == res.Id) Screen.Show(null, default);
        if (CursorResource == res.Id) CursorResource = 0;
        _resources.Remove(res.Id);
        _resourceBytes -= res.Pixels.Length;
        return Ok();
    }

    // virtio_gpu_set_scanout: rect, scanout_id, resource_id.
    private byte[] SetScanout(Request r)
    {
        r.Need(24);
        var rect = r.Rect(0);
        uint scanout = r.U32(16), id = r.U32(20);
        if (scanout != 0) throw new CommandFailed(GpuProtocol.RespErrInvalidScanoutId, $"scanout {scanout} does not exist (the device has one)");
        if (id == 0 || rect.IsEmpty)
        {
            Screen.Show(null, default);
            return Ok();
        }
        var res = Resource(id);
        if (!rect.FitsIn(res.Width, res.Height))
            throw new CommandFailed(GpuProtocol.RespErrInvalidParameter, $"rectangle {rect} is outside resource {id} ({res.Width}x{res.Height})");
        Screen.Show(res, rect);
        return Ok();
    }

    // virtio_gpu_resource_flush: rect, resource_id, padding.
    private byte[] Flush(Request r)
    {
        r.Need(20);
        var rect = r.Rect(0);
        var res = Resource(r.U32(16));
        if (!rect.FitsIn(res.Width, res.Height))
            throw new CommandFailed(GpuProtocol.RespErrInvalidParameter, $"rectangle {rect} is outside resource {res.Id} ({res.Width}x{res.Height})");
        Screen.Flush(res, rect);
        return Ok();
    }

    // virtio_gpu_transfer_to_host_2d: rect, offset (u64), resource_id, padding.
    private byte[] Transfer(Request r)
    {
        r.Need(28);
        var rect = r.Rect(0);
        ulong offset = r.U64(16);
        var res = Resource(r.U32(24));
        if (!rect.FitsIn(res.Width, res.Height))
            throw new CommandFailed(GpuProtocol.RespErrInvalidParameter, $"rectangle {rect} is outside resource {res.Id} ({res.Width}x{res.Height})");
        if (!res.HasBacking) throw new CommandFailed(GpuProtocol.RespErrUnspec, $"resource {res.Id} has no backing attached");
        if (res.TransferEnd(rect, offset) > res.BackingBytes)
            throw new CommandFailed(GpuProtocol.RespErrInvalidParameter, $"rectangle {rect} at offset {offset} reads past resource {res.Id}'s {res.BackingBytes}-byte backing");
        res.TransferToHost(Ram, rect, offset);
        return Ok();
    }

    // virtio_gpu_resource_attach_backing: resource_id, nr_entries, then nr_entries × (addr u64, length u32, padding).
    private byte[] AttachBacking(Request r)
    {
        r.Need(8);
        var res = Resource(r.U32(0));
        uint count = r.U32(4);
        if (count == 0 || count > MaxBackingEntries) throw new CommandFailed(GpuProtocol.RespErrInvalidParameter, $"{count} backing entries (1..{MaxBackingEntries})");
        r.Need(8 + (long)count * GpuProtocol.MemEntryBytes);
        if (res.HasBacking) throw new CommandFailed(GpuProtocol.RespErrUnspec, $"resource {res.Id} already has a backing");
        var entries = new BackingEntry[count];
        for (int i = 0; i < count; i++)
        {
            int at = 8 + i * GpuProtocol.MemEntryBytes;
            var e = new BackingEntry(r.U64(at), r.U32(at + 8));
            if (!Ram.Contains(e.Address, e.Length))
                throw new CommandFailed(GpuProtocol.RespErrUnspec, $"backing entry {i} (0x{e.Address:X}+{e.Length}) of resource {res.Id} is outside guest RAM");
            entries[i] = e;
        }
        res.AttachBacking(entries);
        return Ok();
    }

    // virtio_gpu_resource_detach_backing: resource_id, padding.
    private byte[] DetachBacking(Request r)
    {
        r.Need(4);
        var res = Resource(r.U32(0));
        if (!res.HasBacking) throw new CommandFailed(GpuProtocol.RespErrUnspec, $"resource {res.Id} has no backing attached");
        res.DetachBacking();
        return Ok();
    }

    // virtio_gpu_update_cursor / move_cursor: hdr, pos (scanout_id, x, y, padding), resource_id, hot_x, hot_y. No response.
    private void Cursor(byte[] request)
    {
        if (request.Length < GpuProtocol.HeaderBytes + 20) return;
        var r = new Request(request);
        CursorX = r.U32(4);
        CursorY = r.U32(8);
        if (r.Type == GpuProtocol.CmdUpdateCursor) CursorResource = _resources.ContainsKey(r.U32(16)) ? r.U32(16) : 0;
    }

    private GpuResource Resource(uint id) =>
        _resources.TryGetValue(id, out var res) ? res : throw new CommandFailed(GpuProtocol.RespErrInvalidResourceId, $"resource {id} does not exist");

    private static string CommandName(uint type) => type switch
    {
        GpuProtocol.CmdResourceCreate2D => "RESOURCE_CREATE_2D",
        GpuProtocol.CmdResourceUnref => "RESOURCE_UNREF",
        GpuProtocol.CmdSetScanout => "SET_SCANOUT",
        GpuProtocol.CmdResourceFlush => "RESOURCE_FLUSH",
        GpuProtocol.CmdTransferToHost2D => "TRANSFER_TO_HOST_2D",
        GpuProtocol.CmdResourceAttachBacking => "RESOURCE_ATTACH_BACKING",
        GpuProtocol.CmdResourceDetachBacking => "RESOURCE_DETACH_BACKING",
        _ => $"command 0x{type:X4}",
    };

    /// <summary>A driver reset drops every resource and turns the scanout off (§3.1: the device returns to its initial state).</summary>
    protected override void DeviceReset()
    {
        _resources.Clear();
        _resourceBytes = 0;
        Screen.Show(null, default);
        CursorResource = CursorX = CursorY = 0;
    }

    /// <summary>A request's body (after the header), read with bounds checks that become ERR_INVALID_PARAMETER.</summary>
    private readonly struct Request(byte[] bytes)
    {
        public uint Type => BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        private ReadOnlySpan<byte> Body => bytes.AsSpan(GpuProtocol.HeaderBytes);

        public void Need(long bodyBytes)
        {
            if (Body.Length < bodyBytes)
                throw new CommandFailed(GpuProtocol.RespErrInvalidParameter, $"the request has {Body.Length} bytes after the header; the command needs {bodyBytes}");
        }

        public uint U32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(Body[at..]);
        public ulong U64(int at) => BinaryPrimitives.ReadUInt64LittleEndian(Body[at..]);
        public GpuRect Rect(int at) => new(U32(at), U32(at + 4), U32(at + 8), U32(at + 12));
    }

    private sealed class CommandFailed(uint code, string message) : Exception(message)
    {
        public uint Code { get; } = code;
    }
}
