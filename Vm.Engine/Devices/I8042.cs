namespace Vm.Engine.Devices;

/// <summary>
/// i8042 keyboard controller (0x60/0x64): enough of the command set for Linux's probe, a
/// keyboard that acknowledges commands, and the reset line (command 0xFE, or output-port bit 0).
/// </summary>
public sealed partial class I8042(IInterruptLine irq1, Action reset) : IPortDevice
{
    private readonly Queue<byte> _out = new();
    private byte _ctr = 0x45; // keyboard interrupt on, system flag, translation
    private int _pendingCommand = -1;

    public IEnumerable<ushort> Ports => [0x60, 0x64];

    private void Push(byte b)
    {
        _out.Enqueue(b);
        if ((_ctr & 1) != 0) { irq1.Set(false); irq1.Set(true); }
    }

    public byte In8(ushort port)
    {
        if (port == 0x64)
        {
            return (byte)((_out.Count > 0 ? 1 : 0) | 0x04 | (_pendingCommand >= 0 ? 0x08 : 0) | 0x10); // 0x10: not keylocked
        }
        byte v = _out.Count > 0 ? _out.Dequeue() : (byte)0;
        if (Debug) Console.Error.WriteLine($"[i8042] in 60 -> {v:X2}");
        irq1.Set(false);
        if (_out.Count > 0 && (_ctr & 1) != 0) irq1.Set(true);
        return v;
    }

    private static readonly bool Debug = Environment.GetEnvironmentVariable("WEBVM_DEBUG_I8042") == "1";

    public void Out8(ushort port, byte v)
    {
        if (Debug) Console.Error.WriteLine($"[i8042] out {port:X} {v:X2}");
        if (port == 0x64)
        {
            switch (v)
            {
                case 0x20: Push(_ctr); break;
                case 0x60: case 0xD1: case 0xD2: case 0xD3: case 0xD4: _pendingCommand = v; break;
                case 0xAA: Push(0x55); break;
                case 0xAB: Push(0x00); break;
                case 0xA9: Push(0x01); break; // auxiliary port test: "clock line stuck" = no mouse port
                case 0xA7: _ctr |= 0x20; break;
                case 0xA8: _ctr &= 0xDF; break;
                case 0xAD: _ctr |= 0x10; break;
                case 0xAE: _ctr &= 0xEF; break;
                case 0xC0: Push(0x00); break;
                case 0xD0: Push(0x01); break;
                case >= 0xF0:
                    if ((v & 1) == 0) reset(); // pulse output-port bit 0: CPU reset
                    break;
            }
            return;
        }
        int cmd = _pendingCommand;
        _pendingCommand = -1;
        switch (cmd)
        {
            case 0x60: _ctr = v; return;
            case 0xD1: if ((v & 1) == 0) reset(); return;
            case 0xD2: Push(v); return;
            case 0xD3: Push((byte)~v); return; // no auxiliary device: the loopback answer is wrong and not flagged AUX
            case 0xD4: return;
        }
        // A byte for the keyboard itself.
        switch (v)
        {
            case 0xFF: Push(0xFA); Push(0xAA); break;
            case 0xF2: Push(0xFA); Push(0xAB); Push(0x83); break;
            case 0xEE: Push(0xEE); break;
            default: Push(0xFA); break;
        }
    }
}
