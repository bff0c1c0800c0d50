namespace Vm.Engine.Devices;

/// <summary>
/// 16550A UART (COM1 at 0x3F8, IRQ4): transmit is instantaneous (bytes go to the sink), receive
/// has a 16-byte-style FIFO fed by the host, interrupts for received data and THR empty,
/// loopback mode as the Linux 8250 driver's autodetection expects.
/// </summary>
public sealed partial class Uart16550(ushort basePort, IInterruptLine irq, Action<byte> sink) : IPortDevice
{
    private readonly Queue<byte> _rx = new();
    private byte _ier, _lcr, _mcr, _scr, _dll = 12, _dlm;
    private bool _fifoEnabled;
    private bool _thrInterrupt; // THR-empty interrupt pending
    private byte _msrDelta;

    public IEnumerable<ushort> Ports => Enumerable.Range(basePort, 8).Select(p => (ushort)p);

    /// <summary>Bytes waiting for the guest to read.</summary>
    public int PendingInput { get { lock (_rx) return _rx.Count; } }

    /// <summary>Host side: queue input for the guest.</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        lock (_rx)
        {
            foreach (var b in data) _rx.Enqueue(b);
        }
        // The interrupt line is updated from the machine's thread (Poll), never from here.
    }

    private bool Loopback => (_mcr & 0x10) != 0;

    private bool DataReady { get { lock (_rx) return _rx.Count > 0; } }

    private int InterruptId()
    {
        if ((_ier & 1) != 0 && DataReady) return 0x04;
        if ((_ier & 2) != 0 && _thrInterrupt) return 0x02;
        if ((_ier & 8) != 0 && _msrDelta != 0) return 0x00;
        return 0x01; // none pending
    }

    private void UpdateIrq()
    {
        // OUT2 gates the interrupt line to the PIC on PC serial ports (not in loopback).
        bool on = InterruptId() != 0x01 && (_mcr & 0x08) != 0 && !Loopback;
        irq.Set(on);
    }

    /// <summary>Called by the machine regularly so input that arrived from another thread raises the IRQ.</summary>
    public void Poll() => UpdateIrq();

    public byte In8(ushort port)
    {
        int r = port - basePort;
        bool dlab = (_lcr & 0x80) != 0;
        byte v;
        switch (r)
        {
            case 0:
                if (dlab) return _dll;
                lock (_rx) v = _rx.Count > 0 ? _rx.Dequeue() : (byte)0;
                UpdateIrq();
                return v;
            case 1:
                return dlab ? _dlm : _ier;
            case 2:
            {
                int id = InterruptId();
                if (id == 0x02) _thrInterrupt = false; // reading IIR clears a THRE interrupt
                UpdateIrq();
                return (byte)(id | (_fifoEnabled ? 0xC0 : 0));
            }
            case 3: return _lcr;
            case 4: return _mcr;
            case 5: return (byte)(0x60 | (DataReady ? 1 : 0));
            case 6:
            {
                byte msr;
                if (Loopback)
                {
                    msr = (byte)(((_mcr & 2) != 0 ? 0x10 : 0) | ((_mcr & 1) != 0 ? 0x20 : 0) | ((_mcr & 4) != 0 ? 0x40 : 0) | ((_mcr & 8) != 0 ? 0x80 : 0));
                }
                else
                {
                    msr = 0xB0; // CTS, DSR, DCD
                }
                msr |= _msrDelta;
                _msrDelta = 0;
                UpdateIrq();
                return msr;
            }
            default: return _scr;
        }
    }

    public void Out8(ushort port, byte v)
    {
        int r = port - basePort;
        bool dlab = (_lcr & 0x80) != 0;
        switch (r)
        {
            case 0:
                if (dlab) { _dll = v; return; }
                if (Loopback) { lock (_rx) _rx.Enqueue(v); }
                else sink(v);
                _thrInterrupt = true; // transmitted at once: THR is empty again
                UpdateIrq();
                return;
            case 1:
                if (dlab) { _dlm = v; return; }
                bool thriOn = (v & 2) != 0 && (_ier & 2) == 0;
                _ier = (byte)(v & 0x0F);
                if (thriOn) _thrInterrupt = true;
                UpdateIrq();
                return;
            case 2:
                _fifoEnabled = (v & 1) != 0;
                if ((v & 2) != 0) lock (_rx) _rx.Clear();
                UpdateIrq();
                return;
            case 3: _lcr = v; return;
            case 4: _mcr = (byte)(v & 0x1F); UpdateIrq(); return;
            case 7: _scr = v; return;
        }
    }
}
