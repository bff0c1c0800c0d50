using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// A request in flight holds a host task and guest buffers half written: rather than save that,
/// the snapshot is refused until the device is idle (the host runs the machine a little longer).
/// The disk's contents are the host's business (its manifest and overlay go in the metadata).
/// </summary>
public sealed partial class VirtioBlock
{
    public override string SnapshotSection => "virtio-blk0";

    protected override void SaveDevice(BinaryWriter w)
    {
        if (Busy)
        {
            throw new SnapshotException("The virtio disk has a request in flight; run the machine until it is idle, then snapshot.");
        }
        w.Write(Requests);
        w.Write(BytesRead);
        w.Write(BytesWritten);
        w.Write(IoErrors);
    }

    protected override void RestoreDevice(BinaryReader r)
    {
        _waiting.Clear();
        _current = null;
        Requests = r.ReadInt64();
        BytesRead = r.ReadInt64();
        BytesWritten = r.ReadInt64();
        IoErrors = r.ReadInt64();
    }
}
