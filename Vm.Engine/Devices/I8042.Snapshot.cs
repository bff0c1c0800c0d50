using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices;

/// <summary>The controller's command byte, a half-written command and the output buffer.</summary>
public sealed partial class I8042 : ISnapshotState
{
    public string SnapshotSection => "i8042";
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        w.Write(_ctr);
        w.Write(_pendingCommand);
        w.Write(_out.Count);
        w.Write(_out.ToArray());
    }

    public void RestoreState(BinaryReader r, int version)
    {
        _ctr = r.ReadByte();
        _pendingCommand = r.ReadInt32();
        byte[] o = r.ReadBytes(r.ReadInt32());
        _out.Clear();
        foreach (var b in o) _out.Enqueue(b);
    }
}
