using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices;

/// <summary>
/// The clock's reading. Restored after the CPU (whose instruction count drives instruction
/// mode), it continues from the saved time in either mode, so timers neither fire early nor wait.
/// </summary>
public sealed partial class VirtualClock : ISnapshotState
{
    public string SnapshotSection => "clock";
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        w.Write(NowNs);
        w.Write(_skipped);
    }

    public void RestoreState(BinaryReader r, int version)
    {
        ulong now = r.ReadUInt64();
        ulong skipped = r.ReadUInt64();
        if (mode == ClockMode.Instructions)
        {
            _skipped = skipped;
        }
        else
        {
            _sw.Restart();
            _skipped = now;
        }
    }
}
