using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices;

/// <summary>Both 8259 chips: request, service and mask registers, line levels, initialization state.</summary>
public sealed partial class Pic8259 : ISnapshotState
{
    public string SnapshotSection => "pic";
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        foreach (var c in new[] { _master, _slave })
        {
            w.Write(c.Irr); w.Write(c.Isr); w.Write(c.Imr); w.Write(c.Lines); w.Write(c.VectorBase);
            w.Write(c.InitStep); w.Write(c.NeedIcw4); w.Write(c.Single); w.Write(c.AutoEoi); w.Write(c.ReadIsr);
        }
    }

    public void RestoreState(BinaryReader r, int version)
    {
        foreach (var c in new[] { _master, _slave })
        {
            c.Irr = r.ReadByte(); c.Isr = r.ReadByte(); c.Imr = r.ReadByte(); c.Lines = r.ReadByte(); c.VectorBase = r.ReadByte();
            c.InitStep = r.ReadInt32(); c.NeedIcw4 = r.ReadBoolean(); c.Single = r.ReadBoolean(); c.AutoEoi = r.ReadBoolean(); c.ReadIsr = r.ReadBoolean();
        }
    }
}
