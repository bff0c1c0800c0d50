using System.Buffers.Binary;

namespace Vm.Engine.Devices.Pci;

/// <summary>
/// One PCI function's type-0 configuration header (PCI Local Bus 3.0 §6.1): 256 bytes with a
/// per-byte write mask, plus up to six BARs. Accesses arrive a byte at a time (the I/O bus splits
/// wider ones), so every register is handled bytewise. Only I/O BARs are offered: the machine has
/// no MMIO dispatch (see docs/engine.md, "Why legacy virtio-pci").
/// </summary>
public abstract class PciFunction
{
    /// <summary>The raw configuration bytes; BAR bytes hold what the guest last wrote.</summary>
    public readonly byte[] Config = new byte[256];
    private readonly byte[] _writeMask = new byte[256];
    private readonly uint[] _barSize = new uint[6];

    public const int Command = 0x04, InterruptLine = 0x3C, InterruptPin = 0x3D;
    public const ushort CommandIo = 1, CommandMemory = 2, CommandBusMaster = 4;

    protected PciFunction(ushort vendor, ushort device, uint classCode, byte revision = 0,
        ushort subsystemVendor = 0, ushort subsystem = 0)
    {
        Set16(0x00, vendor);
        Set16(0x02, device);
        Config[0x08] = revision;
        Config[0x09] = (byte)classCode;
        Config[0x0A] = (byte)(classCode >> 8);
        Config[0x0B] = (byte)(classCode >> 16);
        Set16(0x2C, subsystemVendor);
        Set16(0x2E, subsystem);
        _writeMask[Command] = 0x07; // I/O, memory, bus master
        _writeMask[Command + 1] = 0x04; // INTx disable
        _writeMask[0x0C] = 0xFF; // cache line size
        _writeMask[0x0D] = 0xFF; // latency timer
    }

    /// <summary>Called whenever a BAR or the command register changes, so the bus can remap ports.</summary>
    internal Action? Remapped;

    protected void Set16(int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Config.AsSpan(offset), value);

    /// <summary>
    /// Declares an I/O BAR of <paramref name="size"/> bytes (a power of two, ≥ 4) and puts it where
    /// a BIOS would have, at <paramref name="initialPort"/>; the guest may move it.
    /// </summary>
    protected void DefineIoBar(int index, uint size, ushort initialPort)
    {
        if (size < 4 || (size & (size - 1)) != 0) throw new ArgumentException("BAR size must be a power of two ≥ 4", nameof(size));
        _barSize[index] = size;
        BinaryPrimitives.WriteUInt32LittleEndian(Config.AsSpan(0x10 + 4 * index), initialPort);
        for (int b = 0; b < 4; b++) _writeMask[0x10 + 4 * index + b] = 0xFF;
    }

    /// <summary>Gives the function an interrupt pin (INTA#) routed to <paramref name="irq"/> as firmware would record it.</summary>
    protected void DefineInterrupt(byte irq)
    {
        Config[InterruptPin] = 1;
        Config[InterruptLine] = irq;
        _writeMask[InterruptLine] = 0xFF;
    }

    public ushort CommandRegister => BinaryPrimitives.ReadUInt16LittleEndian(Config.AsSpan(Command));

    /// <summary>The port an I/O BAR decodes now, or null when it is unset or I/O decoding is off.</summary>
    public ushort? IoBarBase(int index)
    {
        if (_barSize[index] == 0 || (CommandRegister & CommandIo) == 0) return null;
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(Config.AsSpan(0x10 + 4 * index)) & ~(_barSize[index] - 1) & 0xFFFF;
        return v == 0 ? null : (ushort)v;
    }

    public uint IoBarSize(int index) => _barSize[index];

    public byte ReadConfig(int offset)
    {
        if (offset is >= 0x10 and < 0x28)
        {
            int bar = (offset - 0x10) >> 2;
            if (_barSize[bar] == 0) return 0;
            uint raw = BinaryPrimitives.ReadUInt32LittleEndian(Config.AsSpan(0x10 + 4 * bar));
            // Size probing (PCI 3.0 §6.2.5.1): low bits the size masks read as zero; bit 0 = I/O space.
            uint v = (raw & ~(_barSize[bar] - 1)) | 1;
            return (byte)(v >> (8 * (offset & 3)));
        }
        return Config[offset];
    }

    public void WriteConfig(int offset, byte value)
    {
        byte mask = _writeMask[offset];
        if (mask == 0) return;
        Config[offset] = (byte)((Config[offset] & ~mask) | (value & mask));
        if (offset is >= 0x10 and < 0x28 or Command) Remapped?.Invoke();
    }

    /// <summary>An access to one of this function's I/O BARs; <paramref name="offset"/> is relative to the BAR.</summary>
    public virtual byte IoRead(int bar, int offset) => 0xFF;

    public virtual void IoWrite(int bar, int offset, byte value) { }
}
