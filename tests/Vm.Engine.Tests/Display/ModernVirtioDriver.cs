using System.Buffers.Binary;
using Vm.Engine.Devices;
using Vm.Engine.Memory;

namespace Vm.Engine.Tests.Display;

/// <summary>
/// The driver side of the modern virtio-pci transport (virtio 1.0 §4.1.4) as a test double for
/// Linux, written from the spec: resets, accepts VIRTIO_F_VERSION_1, places each queue's three parts
/// in guest RAM, posts descriptor chains, notifies, and reads the used ring. Only the I/O bus and
/// RAM are shared with the device, as in the machine. Common configuration at the BAR's start,
/// notifications at 0x44 (this engine's layout, which the capabilities describe).
/// </summary>
internal sealed class ModernVirtioDriver
{
    private const int Notify = 0x44;
    private readonly IoBus _io;
    private readonly PhysicalMemory _ram;
    private readonly ushort _base;
    private readonly Dictionary<int, (ulong Desc, ulong Avail, ulong Used, ushort Size, ushort NextAvail, ushort LastUsed, ushort NextDesc)> _queues = [];

    public ModernVirtioDriver(IoBus io, PhysicalMemory ram, ushort ioBase)
    {
        _io = io;
        _ram = ram;
        _base = ioBase;
    }

    public byte Status => (byte)_io.In((ushort)(_base + 0x14), 1);
    public uint DeviceConfig32(int offset) => _io.In((ushort)(_base + 0x100 + offset), 4);

    /// <summary>Reset, ACKNOWLEDGE | DRIVER, VERSION_1, FEATURES_OK, queues from <paramref name="ringsAt"/> (64 KiB each), DRIVER_OK.</summary>
    public void Initialize(int queues, uint ringsAt = 0x100000)
    {
        _io.Out((ushort)(_base + 0x14), 0, 1);
        _io.Out((ushort)(_base + 0x14), 1 | 2, 1);
        _io.Out((ushort)(_base + 0x08), 1, 4);
        _io.Out((ushort)(_base + 0x0C), 1, 4); // bit 32: VIRTIO_F_VERSION_1
        _io.Out((ushort)(_base + 0x14), 1 | 2 | 8, 1);
        ulong at = ringsAt;
        for (int q = 0; q < queues; q++)
        {
            _io.Out((ushort)(_base + 0x16), (uint)q, 2);
            ushort size = (ushort)_io.In((ushort)(_base + 0x18), 2);
            ulong desc = at, avail = at + 16UL * size, used = (avail + 6 + 2UL * size + 63) & ~63UL;
            Write64(0x20, desc);
            Write64(0x28, avail);
            Write64(0x30, used);
            _io.Out((ushort)(_base + 0x1C), 1, 2);
            _queues[q] = (desc, avail, used, size, 0, 0, 0);
            at += 0x10000;
        }
        _io.Out((ushort)(_base + 0x14), 1 | 2 | 4 | 8, 1);
    }

    private void Write64(int reg, ulong value)
    {
        _io.Out((ushort)(_base + reg), (uint)value, 4);
        _io.Out((ushort)(_base + reg + 4), (uint)(value >> 32), 4);
    }

    /// <summary>Posts one chain of (address, length, device-writable) buffers and notifies.</summary>
    public void Post(int q, params (uint Addr, uint Len, bool Write)[] buffers)
    {
        var st = _queues[q];
        ushort head = st.NextDesc;
        for (int i = 0; i < buffers.Length; i++)
        {
            ushort idx = (ushort)((st.NextDesc + i) % st.Size);
            var d = _ram.Span((uint)(st.Desc + 16UL * idx), 16);
            BinaryPrimitives.WriteUInt64LittleEndian(d, buffers[i].Addr);
            BinaryPrimitives.WriteUInt32LittleEndian(d[8..], buffers[i].Len);
            BinaryPrimitives.WriteUInt16LittleEndian(d[12..], (ushort)((i + 1 < buffers.Length ? 1 : 0) | (buffers[i].Write ? 2 : 0)));
            BinaryPrimitives.WriteUInt16LittleEndian(d[14..], (ushort)((idx + 1) % st.Size));
        }
        var avail = _ram.Span((uint)st.Avail, 4 + 2 * st.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(avail[(4 + 2 * (st.NextAvail % st.Size))..], head);
        st.NextAvail++;
        BinaryPrimitives.WriteUInt16LittleEndian(avail[2..], st.NextAvail);
        st.NextDesc = (ushort)((st.NextDesc + buffers.Length) % st.Size);
        _queues[q] = st;
        _io.Out((ushort)(_base + Notify), (uint)q, 2);
    }

    /// <summary>The next used element (head, bytes written), or null when the device has returned nothing new.</summary>
    public (ushort Head, uint Len)? TakeUsed(int q)
    {
        var st = _queues[q];
        ushort idx = BinaryPrimitives.ReadUInt16LittleEndian(_ram.Span((uint)st.Used + 2, 2));
        if (idx == st.LastUsed) return null;
        var e = _ram.Span((uint)(st.Used + 4 + 8UL * (ulong)(st.LastUsed % st.Size)), 8);
        st.LastUsed++;
        _queues[q] = st;
        return (BinaryPrimitives.ReadUInt16LittleEndian(e), BinaryPrimitives.ReadUInt32LittleEndian(e[4..]));
    }
}
