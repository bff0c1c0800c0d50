using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices;

/// <summary>The CMOS bytes and index. The time of day follows the restored machine clock.</summary>
public sealed partial class CmosRtc : ISnapshotState
{
    public string SnapshotSection => "rtc";
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        w.Write(_index);
        w.Write(_init);
        w.Write(_ram);
    }

    public void RestoreState(BinaryReader r, int version)
    {
        _index = r.ReadByte();
        _init = r.ReadBoolean();
        r.ReadExactly(_ram);
    }
}
