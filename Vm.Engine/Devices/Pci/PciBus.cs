using System.Buffers.Binary;

namespace Vm.Engine.Devices.Pci;

/// <summary>
/// PCI bus 0 behind configuration mechanism #1 (CONFIG_ADDRESS at 0xCF8, CONFIG_DATA at
/// 0xCFC–0xCFF), and the dispatcher for the functions' I/O BARs. It claims every port from 0x1000
/// up (where PCI I/O space lives on a PC; Linux's PCIBIOS_MIN_IO) and forwards an access to the
/// function whose BAR decodes it, so a BAR the guest moves keeps working.
/// </summary>
public sealed partial class PciBus : IPortDevice
{
    public const ushort ConfigAddress = 0xCF8, ConfigData = 0xCFC;
    private const int IoWindowStart = 0x1000;

    private readonly PciFunction?[] _slots = new PciFunction?[32];
    private readonly (PciFunction Fn, byte Bar, ushort Base)?[] _ioMap = new (PciFunction, byte, ushort)?[65536];
    private uint _address;

    public PciBus() => Attach(0, new HostBridge());

    public IEnumerable<ushort> Ports
    {
        get
        {
            for (int p = 0; p < 8; p++) yield return (ushort)(ConfigAddress + p);
            for (int p = IoWindowStart; p < 65536; p++)
            {
                if (p is < ConfigAddress or >= ConfigAddress + 8) yield return (ushort)p;
            }
        }
    }

    public PciFunction? this[int slot] => _slots[slot];

    /// <summary>Plugs a function into slot <paramref name="slot"/> (device number, function 0).</summary>
    public void Attach(int slot, PciFunction fn)
    {
        if (_slots[slot] != null) throw new InvalidOperationException($"PCI slot {slot} is taken.");
        _slots[slot] = fn;
        fn.Remapped = Remap;
        Remap();
    }

    private void Remap()
    {
        Array.Clear(_ioMap);
        foreach (var fn in _slots)
        {
            if (fn == null) continue;
            for (int bar = 0; bar < 6; bar++)
            {
                if (fn.IoBarBase(bar) is not { } b) continue;
                for (uint p = b; p < b + fn.IoBarSize(bar) && p < 65536; p++)
                {
                    if (p >= IoWindowStart) _ioMap[p] = (fn, (byte)bar, b);
                }
            }
        }
    }

    private PciFunction? Selected(out int offset)
    {
        offset = (int)(_address & 0xFC);
        if ((_address & 0x80000000) == 0) return null;
        int bus = (int)(_address >> 16) & 0xFF, dev = (int)(_address >> 11) & 0x1F, fn = (int)(_address >> 8) & 7;
        return bus == 0 && fn == 0 ? _slots[dev] : null;
    }

    public byte In8(ushort port)
    {
        if (port is >= ConfigAddress and < ConfigAddress + 4) return (byte)(_address >> (8 * (port - ConfigAddress)));
        if (port is >= ConfigData and < ConfigData + 4)
        {
            // No function there: all ones, so the vendor ID reads 0xFFFF ("nothing in this slot").
            return Selected(out int reg)?.ReadConfig(reg + (port - ConfigData)) ?? 0xFF;
        }
        return _ioMap[port] is { } m ? m.Fn.IoRead(m.Bar, port - m.Base) : (byte)0xFF;
    }

    public void Out8(ushort port, byte value)
    {
        if (port is >= ConfigAddress and < ConfigAddress + 4)
        {
            Span<byte> a = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(a, _address);
            a[port - ConfigAddress] = value;
            _address = BinaryPrimitives.ReadUInt32LittleEndian(a) & 0x80FFFFFC;
            return;
        }
        if (port is >= ConfigData and < ConfigData + 4)
        {
            Selected(out int reg)?.WriteConfig(reg + (port - ConfigData), value);
            return;
        }
        if (_ioMap[port] is { } m) m.Fn.IoWrite(m.Bar, port - m.Base, value);
    }
}
