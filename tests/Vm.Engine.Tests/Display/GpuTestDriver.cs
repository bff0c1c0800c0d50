using System.Buffers.Binary;
using Vm.Engine.Devices.Display;
using Vm.Engine.Devices.Virtio.Gpu;

namespace Vm.Engine.Tests.Display;

/// <summary>
/// Sends virtio-gpu control commands to a machine's device the way Linux's virtio_gpu driver lays
/// them out (a readable request, a writable response), built byte by byte from the spec's structures.
/// </summary>
internal sealed class GpuTestDriver : IDisposable
{
    private const uint RequestAt = 0x200000, ResponseAt = 0x210000;
    public Machine Machine { get; }
    public VirtioGpu Gpu => Machine.Gpu!;
    private readonly ModernVirtioDriver _driver;

    public GpuTestDriver(uint memoryBytes = 32u << 20, DisplayMode? mode = null)
    {
        Machine = new Machine(new MachineConfig { MemoryBytes = memoryBytes, Display = mode ?? new DisplayMode(640, 480, DisplayDevice.VirtioGpu) });
        _driver = new ModernVirtioDriver(Machine.Io, Machine.Memory, 0xD400);
        _driver.Initialize(queues: 2);
    }

    public byte Status => _driver.Status;
    public uint NumScanouts => _driver.DeviceConfig32(8);

    /// <summary>Sends one command (header + body) and returns the response bytes the device wrote.</summary>
    public byte[] Send(uint type, ReadOnlySpan<byte> body, ulong? fence = null, int responseBytes = GpuProtocol.DisplayInfoBytes)
    {
        var request = new byte[GpuProtocol.HeaderBytes + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(request, type);
        if (fence is { } f)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(request.AsSpan(4), GpuProtocol.FlagFence);
            BinaryPrimitives.WriteUInt64LittleEndian(request.AsSpan(8), f);
        }
        body.CopyTo(request.AsSpan(GpuProtocol.HeaderBytes));
        return SendRaw(request, responseBytes);
    }

    public byte[] SendRaw(byte[] request, int responseBytes = GpuProtocol.DisplayInfoBytes)
    {
        Machine.Memory.Load(RequestAt, request);
        Machine.Memory.Span(ResponseAt, responseBytes).Clear();
        _driver.Post(VirtioGpu.ControlQueue, (RequestAt, (uint)request.Length, false), (ResponseAt, (uint)responseBytes, true));
        var used = _driver.TakeUsed(VirtioGpu.ControlQueue) ?? throw new InvalidOperationException("the device returned no response");
        return Machine.Memory.Span(ResponseAt, (int)used.Len).ToArray();
    }

    public static uint Type(byte[] response) => BinaryPrimitives.ReadUInt32LittleEndian(response);

    public uint Create(uint id, uint width, uint height, GpuFormat format = GpuFormat.B8G8R8X8) =>
        Type(Send(GpuProtocol.CmdResourceCreate2D, U32s(id, (uint)format, width, height)));

    public uint Attach(uint id, params (ulong Addr, uint Len)[] entries)
    {
        var body = new byte[8 + 16 * entries.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(body, id);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(4), (uint)entries.Length);
        for (int i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(8 + 16 * i), entries[i].Addr);
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(16 + 16 * i), entries[i].Len);
        }
        return Type(Send(GpuProtocol.CmdResourceAttachBacking, body));
    }

    public uint Detach(uint id) => Type(Send(GpuProtocol.CmdResourceDetachBacking, U32s(id, 0)));
    public uint Unref(uint id) => Type(Send(GpuProtocol.CmdResourceUnref, U32s(id, 0)));
    public uint SetScanout(uint scanout, uint id, uint x, uint y, uint w, uint h) => Type(Send(GpuProtocol.CmdSetScanout, U32s(x, y, w, h, scanout, id)));
    public uint Flush(uint id, uint x, uint y, uint w, uint h) => Type(Send(GpuProtocol.CmdResourceFlush, U32s(x, y, w, h, id, 0)));

    public uint Transfer(uint id, uint x, uint y, uint w, uint h, ulong offset)
    {
        var body = U32s(x, y, w, h, 0, 0, id, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(16), offset);
        return Type(Send(GpuProtocol.CmdTransferToHost2D, body));
    }

    public static byte[] U32s(params uint[] values)
    {
        var b = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4 * i), values[i]);
        return b;
    }

    public void Dispose() => Machine.Dispose();
}
