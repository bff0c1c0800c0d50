using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices.Virtio;

/// <summary>The modern transport's registers and each queue's addresses and position; the device adds its own state.</summary>
public abstract partial class VirtioPciModernDevice : ISnapshotState
{
    public abstract string SnapshotSection { get; }
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        w.Write(Status);
        w.Write(DriverFeatures);
        w.Write(DeviceFeatureSelect);
        w.Write(DriverFeatureSelect);
        w.Write(Isr);
        w.Write(QueueSelect);
        w.Write(_latch);
        w.Write(LastError ?? "");
        w.Write(Queues.Length);
        foreach (var q in Queues)
        {
            w.Write(q.Size);
            w.Write(q.Enabled);
            w.Write(q.DescAddress);
            w.Write(q.DriverAddress);
            w.Write(q.DeviceAddress);
            w.Write(q.LastAvail);
            w.Write(q.UsedIdx);
        }
        SaveDevice(w);
    }

    public void RestoreState(BinaryReader r, int version)
    {
        Status = r.ReadByte();
        DriverFeatures = r.ReadUInt64();
        DeviceFeatureSelect = r.ReadUInt32();
        DriverFeatureSelect = r.ReadUInt32();
        Isr = r.ReadByte();
        QueueSelect = r.ReadUInt16();
        r.ReadBytes(_latch.Length).CopyTo(_latch, 0);
        string error = r.ReadString();
        LastError = error.Length == 0 ? null : error;
        int count = r.ReadInt32();
        if (count != Queues.Length)
            throw new SnapshotException($"Section '{SnapshotSection}' has {count} virtqueues; this device has {Queues.Length}.");
        foreach (var q in Queues)
        {
            q.Size = r.ReadUInt16();
            q.Enabled = r.ReadBoolean();
            q.DescAddress = r.ReadUInt64();
            q.DriverAddress = r.ReadUInt64();
            q.DeviceAddress = r.ReadUInt64();
            q.LastAvail = r.ReadUInt16();
            q.UsedIdx = r.ReadUInt16();
        }
        RestoreDevice(r);
    }

    protected virtual void SaveDevice(BinaryWriter w) { }

    protected virtual void RestoreDevice(BinaryReader r) { }
}
