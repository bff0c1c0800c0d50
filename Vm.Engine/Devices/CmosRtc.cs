namespace Vm.Engine.Devices;

/// <summary>
/// MC146818 CMOS RTC at 0x70/0x71: BCD 24-hour time that advances with the machine clock from
/// a start time, status registers A-D, and battery-backed bytes (memory size).
/// </summary>
public sealed partial class CmosRtc(IClock clock, DateTime startUtc, uint ramBytes) : IPortDevice
{
    private byte _index;
    private readonly byte[] _ram = new byte[128];
    private bool _init;

    public IEnumerable<ushort> Ports => [0x70, 0x71];

    private static byte Bcd(int v) => (byte)(((v / 10) << 4) | (v % 10));

    private void Init()
    {
        _init = true;
        _ram[0x0A] = 0x26;
        _ram[0x0B] = 0x02;
        _ram[0x0D] = 0x80;
        uint extKb = Math.Min((ramBytes >> 10) - 1024, 0xFFFF);
        _ram[0x17] = _ram[0x30] = (byte)extKb;
        _ram[0x18] = _ram[0x31] = (byte)(extKb >> 8);
        uint above16 = ramBytes > (16u << 20) ? Math.Min((ramBytes - (16u << 20)) >> 16, 0xFFFF) : 0;
        _ram[0x34] = (byte)above16;
        _ram[0x35] = (byte)(above16 >> 8);
    }

    public byte In8(ushort port)
    {
        if (!_init) Init();
        if (port == 0x70) return 0xFF;
        DateTime now = startUtc.AddTicks((long)(clock.NowNs / 100));
        return _index switch
        {
            0x00 => Bcd(now.Second),
            0x02 => Bcd(now.Minute),
            0x04 => Bcd(now.Hour),
            0x06 => Bcd((int)now.DayOfWeek + 1),
            0x07 => Bcd(now.Day),
            0x08 => Bcd(now.Month),
            0x09 => Bcd(now.Year % 100),
            0x32 => Bcd(now.Year / 100),
            0x0C => ReadAndClearC(),
            _ => _ram[_index & 0x7F],
        };
    }

    private byte ReadAndClearC()
    {
        byte v = _ram[0x0C];
        _ram[0x0C] = 0;
        return v;
    }

    public void Out8(ushort port, byte v)
    {
        if (!_init) Init();
        if (port == 0x70) { _index = (byte)(v & 0x7F); return; }
        if (_index is 0x0C or 0x0D) return;
        if (_index == 0x0A) { _ram[0x0A] = (byte)(v & 0x7F); return; }
        _ram[_index] = v;
    }
}
