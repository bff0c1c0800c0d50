using System.Buffers.Binary;
using Vm.Engine.Devices;
using Vm.Engine.Devices.Pci;
using Vm.Engine.Memory;

namespace Vm.Engine.Tests.Virtio;

/// <summary>An interrupt line that remembers its level and counts rising edges.</summary>
internal sealed class RecordingLine : IInterruptLine
{
    public bool Level { get; private set; }
    public int Edges { get; private set; }

    public void Set(bool level)
    {
        if (level && !Level) Edges++;
        Level = level;
    }
}

/// <summary>
/// The driver side of legacy virtio-pci, written from the spec as a test double for Linux: finds a
/// function through configuration mechanism #1, negotiates, sets up queues in guest RAM at fixed
/// pages, posts descriptor chains and reads the used ring. Only the I/O bus and RAM are shared with
/// the device, as in the machine.
/// </summary>
internal sealed class LegacyVirtioDriver
{
    private readonly IoBus _io;
    private readonly PhysicalMemory _ram;
    private readonly Dictionary<int, (uint Pfn, ushort Size, ushort NextAvail, ushort LastUsed, ushort NextDesc)> _queues = [];

    public LegacyVirtioDriver(IoBus io, PhysicalMemory ram, int slot)
    {
        _io = io;
        _ram = ram;
        Slot = slot;
        IoBase = (ushort)(ConfigRead32(0x10) & ~3u);
    }

    public int Slot { get; }
    public ushort IoBase { get; }

    public uint ConfigRead32(int reg)
    {
        _io.Out(PciBus.ConfigAddress, 0x80000000u | (uint)(Slot << 11) | (uint)reg, 4);
        return _io.In(PciBus.ConfigData, 4);
    }

    public void ConfigWrite32(int reg, uint value)
    {
        _io.Out(PciBus.ConfigAddress, 0x80000000u | (uint)(Slot << 11) | (uint)reg, 4);
        _io.Out(PciBus.ConfigData, value, 4);
    }

    public uint HostFeatures => _io.In(IoBase, 4);
    public byte Status => (byte)_io.In((ushort)(IoBase + 18), 1);
    public byte ReadIsr() => (byte)_io.In((ushort)(IoBase + 19), 1);
    public byte DeviceConfig8(int offset) => (byte)_io.In((ushort)(IoBase + 20 + offset), 1);
    public uint DeviceConfig32(int offset) => _io.In((ushort)(IoBase + 20 + offset), 4);
    public ulong DeviceConfig64(int offset) => DeviceConfig32(offset) | ((ulong)DeviceConfig32(offset + 4) << 32);

    /// <summary>ACKNOWLEDGE, DRIVER, features, queues at pages from <paramref name="firstPfn"/>, DRIVER_OK.</summary>
    public void Initialize(uint features, int queues, uint firstPfn = 0x100)
    {
        _io.Out((ushort)(IoBase + 18), 0, 1);
        _io.Out((ushort)(IoBase + 18), 1, 1);
        _io.Out((ushort)(IoBase + 18), 3, 1);
        _io.Out((ushort)(IoBase + 4), features & HostFeatures, 4);
        uint pfn = firstPfn;
        for (int q = 0; q < queues; q++)
        {
            _io.Out((ushort)(IoBase + 14), (uint)q, 2);
            ushort size = (ushort)_io.In((ushort)(IoBase + 12), 2);
            _io.Out((ushort)(IoBase + 8), pfn, 4);
            _queues[q] = (pfn, size, 0, 0, 0);
            pfn += 16; // 64 KiB per queue is plenty for ≤ 256 entries
        }
        _io.Out((ushort)(IoBase + 18), 7, 1);
    }

    private ulong Desc(int q) => (ulong)_queues[q].Pfn * 4096;
    private ulong Avail(int q) => Desc(q) + 16UL * _queues[q].Size;
    private ulong Used(int q) => (Avail(q) + 6 + 2UL * _queues[q].Size + 4095) & ~4095UL;

    /// <summary>Posts one chain of (address, length, device-writable) buffers and notifies; returns its head.</summary>
    public ushort Post(int q, params (uint Addr, uint Len, bool Write)[] buffers)
    {
        var st = _queues[q];
        ushort head = st.NextDesc;
        for (int i = 0; i < buffers.Length; i++)
        {
            ushort idx = (ushort)((st.NextDesc + i) % st.Size);
            ulong d = Desc(q) + 16UL * idx;
            var span = _ram.Span((uint)d, 16);
            BinaryPrimitives.WriteUInt64LittleEndian(span, buffers[i].Addr);
            BinaryPrimitives.WriteUInt32LittleEndian(span[8..], buffers[i].Len);
            ushort flags = (ushort)((i + 1 < buffers.Length ? 1 : 0) | (buffers[i].Write ? 2 : 0));
            BinaryPrimitives.WriteUInt16LittleEndian(span[12..], flags);
            BinaryPrimitives.WriteUInt16LittleEndian(span[14..], (ushort)((idx + 1) % st.Size));
        }
        var avail = _ram.Span((uint)Avail(q), 4 + 2 * st.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(avail[(4 + 2 * (st.NextAvail % st.Size))..], head);
        st.NextAvail++;
        BinaryPrimitives.WriteUInt16LittleEndian(avail[2..], st.NextAvail);
        st.NextDesc = (ushort)((st.NextDesc + buffers.Length) % st.Size);
        _queues[q] = st;
        _io.Out((ushort)(IoBase + 16), (uint)q, 2);
        return head;
    }

    /// <summary>The next used element (head, length), or null when the device has returned nothing new.</summary>
    public (ushort Head, uint Len)? TakeUsed(int q)
    {
        var st = _queues[q];
        ushort idx = BinaryPrimitives.ReadUInt16LittleEndian(_ram.Span((uint)Used(q) + 2, 2));
        if (idx == st.LastUsed) return null;
        var e = _ram.Span((uint)(Used(q) + 4 + 8UL * (ulong)(st.LastUsed % st.Size)), 8);
        st.LastUsed++;
        _queues[q] = st;
        return (BinaryPrimitives.ReadUInt16LittleEndian(e), BinaryPrimitives.ReadUInt32LittleEndian(e[4..]));
    }
}
