namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// The configuration selector and the counters. Events not yet delivered are host input, not
/// machine state: a restored machine starts with none.
/// </summary>
public sealed partial class VirtioInput
{
    protected override void SaveDevice(BinaryWriter w)
    {
        w.Write(_select);
        w.Write(_subsel);
        w.Write(Delivered);
        w.Write(Dropped);
    }

    protected override void RestoreDevice(BinaryReader r)
    {
        _select = r.ReadByte();
        _subsel = r.ReadByte();
        Delivered = r.ReadInt64();
        Dropped = r.ReadInt64();
        _pending.Clear();
    }
}
