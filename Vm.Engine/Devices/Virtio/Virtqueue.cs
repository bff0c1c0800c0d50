namespace Vm.Engine.Devices.Virtio;

/// <summary>One buffer of a descriptor chain: guest-physical address, length, and whether the device writes it.</summary>
public readonly record struct Segment(ulong Address, uint Length, bool DeviceWritable);

/// <summary>A descriptor chain taken off the available ring: its head (to return it) and its buffers in order.</summary>
public sealed record DescriptorChain(ushort Head, Segment[] Segments)
{
    public uint ReadableLength => (uint)Segments.Where(s => !s.DeviceWritable).Sum(s => s.Length);
    public uint WritableLength => (uint)Segments.Where(s => s.DeviceWritable).Sum(s => s.Length);

    /// <summary>Gathers the device-readable part (the driver's request) into one array.</summary>
    public byte[] ReadAll(GuestRam ram)
    {
        var data = new byte[ReadableLength];
        int at = 0;
        foreach (var s in Segments.Where(s => !s.DeviceWritable))
        {
            ram.Read(s.Address, data.AsSpan(at, (int)s.Length));
            at += (int)s.Length;
        }
        return data;
    }

    /// <summary>Scatters <paramref name="data"/> over the device-writable buffers; returns the bytes written.</summary>
    public uint WriteAll(GuestRam ram, ReadOnlySpan<byte> data)
    {
        int at = 0;
        foreach (var s in Segments.Where(s => s.DeviceWritable))
        {
            if (at >= data.Length) break;
            int n = Math.Min((int)s.Length, data.Length - at);
            ram.Write(s.Address, data.Slice(at, n));
            at += n;
        }
        return (uint)at;
    }
}

/// <summary>
/// A split virtqueue in the legacy layout (virtio 1.0 §2.4 and §4.1.5.1 "legacy interfaces"):
/// descriptor table at Pfn×4096, the available ring right after it, the used ring at the next
/// 4096-byte boundary. State is plain fields (snapshots save them as they are).
/// </summary>
public sealed class Virtqueue(GuestRam ram, ushort size)
{
    public const ushort DescNext = 1, DescWrite = 2, DescIndirect = 4;
    private const ushort AvailNoInterrupt = 1;
    public const int LegacyAlign = 4096;

    public ushort Size = size;
    /// <summary>Guest page number of the ring; 0 = the driver has not set the queue up.</summary>
    public uint Pfn;
    /// <summary>The next available-ring slot the device will consume.</summary>
    public ushort LastAvail;
    /// <summary>The device's copy of used.idx.</summary>
    public ushort UsedIdx;

    /// <summary>
    /// The modern transport (virtio 1.0 §4.1.4.3) places each part where the driver says
    /// (queue_desc/queue_driver/queue_device) and turns the queue on with queue_enable.
    /// </summary>
    public ulong DescAddress, DriverAddress, DeviceAddress;
    public bool Enabled;

    public bool Ready => Pfn != 0 || Enabled;
    private ulong Desc => Enabled ? DescAddress : (ulong)Pfn * LegacyAlign;
    private ulong Avail => Enabled ? DriverAddress : Desc + 16UL * Size;
    private ulong Used => Enabled ? DeviceAddress : (Avail + 4UL + 2UL * Size + 2 + LegacyAlign - 1) & ~(ulong)(LegacyAlign - 1);

    public void Reset()
    {
        Enabled = false;
        DescAddress = DriverAddress = DeviceAddress = 0;
        Pfn = 0;
        LastAvail = 0;
        UsedIdx = 0;
    }

    public bool HasAvailable => Ready && ram.Read16(Avail + 2) != LastAvail;

    /// <summary>Takes the next chain the driver made available, or null when there is none.</summary>
    public DescriptorChain? Pop()
    {
        if (!HasAvailable) return null;
        ushort head = ram.Read16(Avail + 4 + 2UL * (ushort)(LastAvail % Size));
        LastAvail++;
        if (head >= Size) throw new VirtioException($"available ring names descriptor {head} of a {Size}-entry queue");
        return new DescriptorChain(head, Walk(Desc, Size, head, allowIndirect: true));
    }

    private Segment[] Walk(ulong table, uint count, ushort index, bool allowIndirect)
    {
        var segments = new List<Segment>();
        for (int hops = 0; ; hops++)
        {
            if (hops >= count) throw new VirtioException("descriptor chain loops");
            ulong d = table + 16UL * index;
            ulong addr = ram.Read64(d);
            uint len = ram.Read32(d + 8);
            ushort flags = ram.Read16(d + 12);
            ushort next = ram.Read16(d + 14);
            if ((flags & DescIndirect) != 0)
            {
                // §2.4.5.3: an indirect table replaces the chain; it may not nest.
                if (!allowIndirect || len % 16 != 0 || len == 0) throw new VirtioException("bad indirect descriptor");
                if (!ram.Contains(addr, len)) throw new VirtioException("indirect table outside RAM");
                segments.AddRange(Walk(addr, len / 16, 0, allowIndirect: false));
            }
            else
            {
                if (!ram.Contains(addr, len)) throw new VirtioException($"buffer 0x{addr:X}+{len} outside RAM");
                segments.Add(new Segment(addr, len, (flags & DescWrite) != 0));
            }
            if ((flags & DescNext) == 0) return segments.ToArray();
            if (next >= count) throw new VirtioException($"descriptor {next} is past the table");
            index = next;
        }
    }

    /// <summary>Returns a chain to the driver with the number of bytes written into it.</summary>
    public void Push(ushort head, uint written)
    {
        ulong slot = Used + 4 + 8UL * (ushort)(UsedIdx % Size);
        ram.Write32(slot, head);
        ram.Write32(slot + 4, written);
        UsedIdx++;
        ram.Write16(Used + 2, UsedIdx);
    }

    /// <summary>Whether the driver asked not to be interrupted (VRING_AVAIL_F_NO_INTERRUPT).</summary>
    public bool InterruptSuppressed => (ram.Read16(Avail) & AvailNoInterrupt) != 0;
}
