using Vm.Engine.Cpu;

namespace Vm.Engine.Devices;

/// <summary>
/// The 8259A pair (master at 0x20, slave at 0xA0 cascaded on IRQ2), edge-triggered, fixed
/// priority, normal or automatic EOI. Devices get an <see cref="IInterruptLine"/> per IRQ.
/// </summary>
public sealed partial class Pic8259 : IPortDevice, IInterruptController
{
    private sealed class Chip
    {
        public byte Irr, Isr, Imr = 0xFF, Lines;
        public byte VectorBase;
        public int InitStep; // 0 = ready, 2..4 = expecting ICW2..ICW4
        public bool NeedIcw4, Single, AutoEoi, ReadIsr;

        public int Pending()
        {
            int req = Irr & ~Imr;
            if (req == 0) return -1;
            for (int i = 0; i < 8; i++)
            {
                if ((Isr & (1 << i)) != 0) return -1; // a higher-priority one is in service
                if ((req & (1 << i)) != 0) return i;
            }
            return -1;
        }
    }

    private readonly Chip _master = new(), _slave = new();

    public IEnumerable<ushort> Ports => [0x20, 0x21, 0xA0, 0xA1];

    private sealed class Line(Pic8259 pic, int irq) : IInterruptLine
    {
        public void Set(bool level) => pic.SetIrq(irq, level);
    }

    public IInterruptLine GetLine(int irq) => new Line(this, irq);

    public void SetIrq(int irq, bool level)
    {
        Chip c = irq < 8 ? _master : _slave;
        byte bit = (byte)(1 << (irq & 7));
        if (level)
        {
            if ((c.Lines & bit) == 0) c.Irr |= bit; // rising edge
            c.Lines |= bit;
        }
        else
        {
            c.Lines &= (byte)~bit;
        }
    }

    private bool SlaveRequest => _slave.Pending() >= 0;

    private int MasterPending()
    {
        // The slave's output is a level on master input 2.
        if (SlaveRequest) _master.Irr |= 4; else _master.Irr &= 0xFB;
        return _master.Pending();
    }

    public bool HasInterrupt => MasterPending() >= 0;

    public int Acknowledge()
    {
        int irq = MasterPending();
        if (irq < 0) return _master.VectorBase + 7; // spurious
        if (irq == 2)
        {
            int s = _slave.Pending();
            _master.Irr &= 0xFB;
            if (!_master.AutoEoi) _master.Isr |= 4;
            if (s < 0) return _slave.VectorBase + 7;
            _slave.Irr &= (byte)~(1 << s);
            if (!_slave.AutoEoi) _slave.Isr |= (byte)(1 << s);
            return _slave.VectorBase + s;
        }
        _master.Irr &= (byte)~(1 << irq);
        if (!_master.AutoEoi) _master.Isr |= (byte)(1 << irq);
        return _master.VectorBase + irq;
    }

    public byte In8(ushort port)
    {
        Chip c = port < 0xA0 ? _master : _slave;
        if ((port & 1) == 0) return c.ReadIsr ? c.Isr : c.Irr;
        return c.Imr;
    }

    public void Out8(ushort port, byte v)
    {
        Chip c = port < 0xA0 ? _master : _slave;
        if ((port & 1) == 0)
        {
            if ((v & 0x10) != 0)
            {
                // ICW1
                c.InitStep = 2;
                c.NeedIcw4 = (v & 1) != 0;
                c.Single = (v & 2) != 0;
                c.Imr = 0; c.Isr = 0; c.Irr = 0; c.ReadIsr = false; c.AutoEoi = false;
            }
            else if ((v & 0x08) != 0)
            {
                // OCW3
                if ((v & 2) != 0) c.ReadIsr = (v & 1) != 0;
            }
            else
            {
                // OCW2: EOI commands
                int cmd = v >> 5;
                if (cmd == 1 || cmd == 5)
                {
                    for (int i = 0; i < 8; i++)
                    {
                        if ((c.Isr & (1 << i)) != 0) { c.Isr &= (byte)~(1 << i); break; }
                    }
                }
                else if (cmd == 3 || cmd == 7)
                {
                    c.Isr &= (byte)~(1 << (v & 7));
                }
            }
            return;
        }
        switch (c.InitStep)
        {
            case 2:
                c.VectorBase = (byte)(v & 0xF8);
                c.InitStep = c.Single ? (c.NeedIcw4 ? 4 : 0) : 3;
                break;
            case 3:
                c.InitStep = c.NeedIcw4 ? 4 : 0;
                break;
            case 4:
                c.AutoEoi = (v & 2) != 0;
                c.InitStep = 0;
                break;
            default:
                c.Imr = v;
                break;
        }
    }
}
