namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// Only the count is saved: the entropy source is the host's (a CSPRNG has no state to carry,
/// and a restored guest should not replay the bytes it already had).
/// </summary>
public sealed partial class VirtioRng
{
    public override string SnapshotSection => "virtio-rng";

    protected override void SaveDevice(BinaryWriter w) => w.Write(BytesServed);

    protected override void RestoreDevice(BinaryReader r) => BytesServed = r.ReadInt64();
}
