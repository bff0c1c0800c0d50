using System.Buffers.Binary;
using Vm.Engine.Memory;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// What a DMA-capable device may do to guest RAM: bounded reads and writes that never touch
/// memory outside RAM, and writes that drop decoded code on the pages they hit (a block read
/// into a page cache page that once held code must not leave stale decoded blocks behind).
/// </summary>
public sealed class GuestRam(PhysicalMemory memory)
{
    public bool Contains(ulong address, ulong length) => address + length <= memory.Size && address + length >= address;

    public ushort Read16(ulong a) => BinaryPrimitives.ReadUInt16LittleEndian(Span(a, 2));
    public uint Read32(ulong a) => BinaryPrimitives.ReadUInt32LittleEndian(Span(a, 4));
    public ulong Read64(ulong a) => BinaryPrimitives.ReadUInt64LittleEndian(Span(a, 8));

    public void Write16(ulong a, ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        Write(a, b);
    }

    public void Write32(ulong a, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        Write(a, b);
    }

    public void Read(ulong address, Span<byte> into) => Span(address, into.Length).CopyTo(into);

    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        var target = Span(address, data.Length);
        for (ulong page = address >> 12; page <= (address + (ulong)Math.Max(data.Length, 1) - 1) >> 12; page++)
        {
            if (memory.CodePages[page] != 0) memory.CodeWritten?.Invoke((uint)(page << 12));
        }
        data.CopyTo(target);
    }

    private Span<byte> Span(ulong address, int length)
    {
        if (!Contains(address, (ulong)length))
            throw new VirtioException($"guest address 0x{address:X}+{length} is outside RAM");
        return memory.Span((uint)address, length);
    }
}

/// <summary>The driver broke the virtio protocol (a bad address or descriptor): the device stops the queue.</summary>
public sealed class VirtioException(string message) : Exception(message);
