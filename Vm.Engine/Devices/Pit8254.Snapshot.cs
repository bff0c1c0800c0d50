using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices;

/// <summary>
/// The three PIT channels (counting is derived from each channel's start time on the machine
/// clock, which the snapshot restores too), port B, and the next scheduled channel 0 event.
/// </summary>
public sealed partial class Pit8254 : ISnapshotState
{
    public string SnapshotSection => "pit";
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        foreach (var c in _ch)
        {
            w.Write(c.Mode); w.Write(c.Access); w.Write(c.WriteState); w.Write(c.ReadState);
            w.Write(c.Reload); w.Write(c.StartNs); w.Write(c.Loaded); w.Write(c.Latched);
            w.Write(c.LatchValue); w.Write(c.WriteLow); w.Write(c.Fired);
        }
        w.Write(_gate2); w.Write(_speaker); w.Write(_refresh);
        w.Write(_nextNs);
    }

    public void RestoreState(BinaryReader r, int version)
    {
        foreach (var c in _ch)
        {
            c.Mode = r.ReadInt32(); c.Access = r.ReadInt32(); c.WriteState = r.ReadInt32(); c.ReadState = r.ReadInt32();
            c.Reload = r.ReadUInt32(); c.StartNs = r.ReadUInt64(); c.Loaded = r.ReadBoolean(); c.Latched = r.ReadBoolean();
            c.LatchValue = r.ReadUInt16(); c.WriteLow = r.ReadByte(); c.Fired = r.ReadBoolean();
        }
        _gate2 = r.ReadBoolean(); _speaker = r.ReadBoolean(); _refresh = r.ReadBoolean();
        _nextNs = r.ReadUInt64();
    }
}
