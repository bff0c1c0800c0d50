using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices;

/// <summary>The UART's registers and the input not yet read by the guest.</summary>
public sealed partial class Uart16550 : ISnapshotState
{
    public string SnapshotSection => "uart-" + basePort.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        w.Write(_ier); w.Write(_lcr); w.Write(_mcr); w.Write(_scr); w.Write(_dll); w.Write(_dlm);
        w.Write(_fifoEnabled); w.Write(_thrInterrupt); w.Write(_msrDelta);
        byte[] rx;
        lock (_rx) rx = _rx.ToArray();
        w.Write(rx.Length);
        w.Write(rx);
    }

    public void RestoreState(BinaryReader r, int version)
    {
        _ier = r.ReadByte(); _lcr = r.ReadByte(); _mcr = r.ReadByte(); _scr = r.ReadByte(); _dll = r.ReadByte(); _dlm = r.ReadByte();
        _fifoEnabled = r.ReadBoolean(); _thrInterrupt = r.ReadBoolean(); _msrDelta = r.ReadByte();
        byte[] rx = r.ReadBytes(r.ReadInt32());
        lock (_rx)
        {
            _rx.Clear();
            foreach (var b in rx) _rx.Enqueue(b);
        }
    }
}
