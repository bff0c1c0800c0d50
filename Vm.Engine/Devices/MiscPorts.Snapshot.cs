using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices;

/// <summary>Port 0x92's latch.</summary>
public sealed partial class MiscPorts : ISnapshotState
{
    public string SnapshotSection => "misc-ports";
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w) => w.Write(_p92);

    public void RestoreState(BinaryReader r, int version) => _p92 = r.ReadByte();
}
