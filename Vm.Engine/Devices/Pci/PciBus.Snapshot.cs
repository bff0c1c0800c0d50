using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices.Pci;

/// <summary>
/// The bus saves every function's configuration space (command, BARs, interrupt line: what the
/// guest's PCI code programmed), so the I/O map is rebuilt from the same BARs after a restore.
/// </summary>
public sealed partial class PciBus : ISnapshotState
{
    public string SnapshotSection => "pci";
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        w.Write(_address);
        for (int slot = 0; slot < _slots.Length; slot++)
        {
            w.Write(_slots[slot] != null);
            if (_slots[slot] is { } fn) w.Write(fn.Config);
        }
    }

    public void RestoreState(BinaryReader r, int version)
    {
        uint address = r.ReadUInt32();
        var configs = new byte[_slots.Length][];
        for (int slot = 0; slot < _slots.Length; slot++)
        {
            bool present = r.ReadBoolean();
            if (present != (_slots[slot] != null))
            {
                throw new SnapshotException(present
                    ? $"The snapshot has a PCI device in slot {slot}; this machine has none there (a disk or other device is missing)."
                    : $"This machine has a PCI device in slot {slot} the snapshot does not have.");
            }
            if (present) configs[slot] = r.ReadBytes(256);
        }
        _address = address;
        for (int slot = 0; slot < _slots.Length; slot++)
        {
            if (configs[slot] is { } c) c.CopyTo(_slots[slot]!.Config, 0);
        }
        Remap();
    }
}
