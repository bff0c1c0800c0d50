using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// The legacy transport's registers and each queue's position; a device adds its own state in
/// <see cref="SaveDevice"/>. The PCI config space is saved by the bus, the rings live in RAM.
/// </summary>
public abstract partial class VirtioPciDevice : ISnapshotState
{
    public abstract string SnapshotSection { get; }
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        w.Write(Status);
        w.Write(DriverFeatures);
        w.Write(Isr);
        w.Write(QueueSelect);
        w.Write(_pfnLatch);
        w.Write(_notifyLatch);
        w.Write(LastError ?? "");
        w.Write(Queues.Length);
        foreach (var q in Queues)
        {
            w.Write(q.Size);
            w.Write(q.Pfn);
            w.Write(q.LastAvail);
            w.Write(q.UsedIdx);
        }
        SaveDevice(w);
    }

    public void RestoreState(BinaryReader r, int version)
    {
        Status = r.ReadByte();
        DriverFeatures = r.ReadUInt32();
        Isr = r.ReadByte();
        QueueSelect = r.ReadUInt16();
        _pfnLatch = r.ReadUInt32();
        _notifyLatch = r.ReadUInt16();
        string error = r.ReadString();
        LastError = error.Length == 0 ? null : error;
        int count = r.ReadInt32();
        if (count != Queues.Length)
        {
            throw new SnapshotException($"Section '{SnapshotSection}' has {count} virtqueues; this device has {Queues.Length} (another port list?).");
        }
        foreach (var q in Queues)
        {
            q.Size = r.ReadUInt16();
            q.Pfn = r.ReadUInt32();
            q.LastAvail = r.ReadUInt16();
            q.UsedIdx = r.ReadUInt16();
        }
        RestoreDevice(r);
    }

    protected virtual void SaveDevice(BinaryWriter w) { }

    protected virtual void RestoreDevice(BinaryReader r) { }
}
