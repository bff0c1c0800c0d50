namespace Vm.Engine.Devices;

/// <summary>
/// The 8254 PIT (ports 0x40-0x43) at 1.193182 MHz, plus system control port B (0x61) whose
/// bit 0 gates channel 2 and bit 5 shows channel 2's output (Linux calibrates the TSC with it).
/// Channel 0 drives IRQ0 in modes 0/4 (one-shot) and 2/3 (periodic).
/// </summary>
public sealed partial class Pit8254(IInterruptLine irq0, IClock clock) : IPortDevice, IClocked
{
    private const ulong Hz = 1193182;

    private sealed class Channel
    {
        public int Mode, Access, WriteState, ReadState;
        public uint Reload = 0x10000;
        public ulong StartNs;
        public bool Loaded, Latched;
        public ushort LatchValue;
        public byte WriteLow;
        public bool Fired;
    }

    private readonly Channel[] _ch = [new(), new(), new()];
    private bool _gate2, _speaker;
    private bool _refresh;
    private ulong _nextNs = ulong.MaxValue;

    public IEnumerable<ushort> Ports => [0x40, 0x41, 0x42, 0x43, 0x61];

    public ulong NextEventNs => _nextNs;

    private static ulong TicksSince(ulong startNs, ulong nowNs) => nowNs <= startNs ? 0 : (ulong)((UInt128)(nowNs - startNs) * Hz / 1_000_000_000UL);

    private static ulong NsForTicks(ulong ticks) => (ulong)((UInt128)ticks * 1_000_000_000UL / Hz) + 1;

    private uint Count(Channel c, ulong now)
    {
        if (!c.Loaded) return 0;
        ulong t = TicksSince(c.StartNs, now);
        switch (c.Mode)
        {
            case 2:
            case 3:
                return (uint)(c.Reload - (t % c.Reload));
            default:
                if (t < c.Reload) return (uint)(c.Reload - t) & 0xFFFF;
                return (uint)((0x10000 - ((t - c.Reload) % 0x10000)) & 0xFFFF);
        }
    }

    private bool Out(Channel c, ulong now)
    {
        if (!c.Loaded) return false;
        ulong t = TicksSince(c.StartNs, now);
        return c.Mode switch
        {
            0 => t >= c.Reload,
            2 => (t % c.Reload) != c.Reload - 1,
            3 => (t % c.Reload) < c.Reload / 2,
            _ => true,
        };
    }

    private void Schedule()
    {
        var c = _ch[0];
        if (!c.Loaded) { _nextNs = ulong.MaxValue; return; }
        if (c.Mode is 2 or 3)
        {
            ulong now = clock.NowNs;
            ulong t = TicksSince(c.StartNs, now);
            ulong next = (t / c.Reload + 1) * c.Reload;
            _nextNs = c.StartNs + NsForTicks(next);
        }
        else if (!c.Fired)
        {
            _nextNs = c.StartNs + NsForTicks(c.Reload);
        }
        else
        {
            _nextNs = ulong.MaxValue;
        }
    }

    public void Tick(ulong nowNs)
    {
        var c = _ch[0];
        if (nowNs < _nextNs) return;
        if (c.Mode is 0 or 1 or 4 or 5) c.Fired = true;
        irq0.Set(true);
        irq0.Set(false);
        Schedule();
    }

    public byte In8(ushort port)
    {
        ulong now = clock.NowNs;
        if (port == 0x61)
        {
            _refresh = !_refresh;
            return (byte)((_gate2 ? 1 : 0) | (_speaker ? 2 : 0) | (_refresh ? 0x10 : 0) | (Out(_ch[2], now) ? 0x20 : 0));
        }
        if (port == 0x43) return 0xFF;
        var c = _ch[port - 0x40];
        ushort v = c.Latched ? c.LatchValue : (ushort)Count(c, now);
        switch (c.Access)
        {
            case 1: c.Latched = false; return (byte)v;
            case 2: c.Latched = false; return (byte)(v >> 8);
            default:
                if (c.ReadState == 0) { c.ReadState = 1; return (byte)v; }
                c.ReadState = 0; c.Latched = false;
                return (byte)(v >> 8);
        }
    }

    public void Out8(ushort port, byte v)
    {
        ulong now = clock.NowNs;
        if (port == 0x61)
        {
            bool g = (v & 1) != 0;
            if (g && !_gate2 && _ch[2].Mode is 1 or 5) _ch[2].StartNs = now;
            _gate2 = g;
            _speaker = (v & 2) != 0;
            return;
        }
        if (port == 0x43)
        {
            int sel = v >> 6;
            if (sel == 3)
            {
                // Read-back: latch counts of the selected channels.
                for (int k = 0; k < 3; k++)
                {
                    if ((v & (2 << k)) != 0 && (v & 0x20) == 0) { _ch[k].LatchValue = (ushort)Count(_ch[k], now); _ch[k].Latched = true; }
                }
                return;
            }
            var c = _ch[sel];
            int access = (v >> 4) & 3;
            if (access == 0)
            {
                if (!c.Latched) { c.LatchValue = (ushort)Count(c, now); c.Latched = true; c.ReadState = 0; }
                return;
            }
            c.Access = access;
            c.Mode = (v >> 1) & 7;
            if (c.Mode > 5) c.Mode -= 4;
            c.WriteState = 0; c.ReadState = 0; c.Latched = false;
            c.Loaded = false;
            if (sel == 0) { c.Fired = false; Schedule(); }
            return;
        }
        var ch = _ch[port - 0x40];
        uint value;
        switch (ch.Access)
        {
            case 1: value = v; break;
            case 2: value = (uint)v << 8; break;
            default:
                if (ch.WriteState == 0) { ch.WriteLow = v; ch.WriteState = 1; return; }
                ch.WriteState = 0;
                value = ch.WriteLow | ((uint)v << 8);
                break;
        }
        ch.Reload = value == 0 ? 0x10000 : value;
        ch.StartNs = now;
        ch.Loaded = true;
        ch.Fired = false;
        if (port == 0x40) Schedule();
    }
}
