using System.Buffers.Binary;
using Vm.Engine;
using Vm.Engine.Devices.Virtio.Gpu;

/// <summary>
/// Drives a machine's virtio-gpu through its modern-transport queues as Linux's driver does (the
/// same path the guest takes: descriptor chain, notify, command, response), so the bench measures
/// the device's real per-command cost. Rings and buffers sit at fixed guest addresses.
/// </summary>
sealed class GpuDriver
{
    private const ushort Base = 0xD400;
    private const uint Desc = 0x100000, Avail = 0x101000, Used = 0x102000, Request = 0x110000, Response = 0x111000;
    private const ushort Size = 256;
    private readonly Machine _m;
    private ushort _next;

    public GpuDriver(Machine m)
    {
        _m = m;
        var io = m.Io;
        io.Out(Base + 0x14, 0, 1);
        io.Out(Base + 0x14, 3, 1);
        io.Out(Base + 0x08, 1, 4);
        io.Out(Base + 0x0C, 1, 4); // VIRTIO_F_VERSION_1
        io.Out(Base + 0x14, 11, 1);
        io.Out(Base + 0x16, 0, 2);
        foreach (var (reg, addr) in new[] { (0x20, Desc), (0x28, Avail), (0x30, Used) })
        {
            io.Out((ushort)(Base + reg), addr, 4);
            io.Out((ushort)(Base + reg + 4), 0, 4);
        }
        io.Out(Base + 0x1C, 1, 2);
        io.Out(Base + 0x14, 15, 1);
    }

    public void Send(uint type, params uint[] body)
    {
        var mem = _m.Memory;
        var req = mem.Span(Request, 24 + 4 * body.Length);
        req.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(req, type);
        for (int i = 0; i < body.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(req[(24 + 4 * i)..], body[i]);
        ushort d0 = (ushort)(_next * 2 % Size), d1 = (ushort)((d0 + 1) % Size);
        WriteDesc(d0, Request, (uint)req.Length, flags: 1, next: d1);
        WriteDesc(d1, Response, 24, flags: 2, next: 0);
        BinaryPrimitives.WriteUInt16LittleEndian(mem.Span(Avail + 4 + 2u * (uint)(_next % Size), 2), d0);
        _next++;
        BinaryPrimitives.WriteUInt16LittleEndian(mem.Span(Avail + 2, 2), _next);
        _m.Io.Out(Base + 0x44, 0, 2);
        uint answer = BinaryPrimitives.ReadUInt32LittleEndian(mem.Span(Response, 4));
        if (answer != GpuProtocol.RespOkNoData) throw new InvalidOperationException($"command 0x{type:X4} answered 0x{answer:X4}: {_m.Gpu!.LastCommandError}");
    }

    private void WriteDesc(ushort index, uint addr, uint len, ushort flags, ushort next)
    {
        var d = _m.Memory.Span(Desc + 16u * index, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, addr);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], len);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
    }
}
