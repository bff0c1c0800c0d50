namespace Vm.Engine.Devices.Virtio;

/// <summary>Ports (open state, held bytes) and the control messages not yet delivered.</summary>
public sealed partial class VirtioConsole
{
    public override string SnapshotSection => "virtio-console";

    protected override void SaveDevice(BinaryWriter w)
    {
        w.Write(_ports.Length);
        foreach (var p in _ports) p.SaveState(w);
        w.Write(_controlOut.Count);
        foreach (var msg in _controlOut)
        {
            w.Write(msg.Length);
            w.Write(msg);
        }
        w.Write(_hostWork);
    }

    protected override void RestoreDevice(BinaryReader r)
    {
        int ports = r.ReadInt32();
        if (ports != _ports.Length)
        {
            throw new Snapshots.SnapshotException($"The snapshot's console has {ports} ports; this machine's has {_ports.Length}.");
        }
        foreach (var p in _ports) p.RestoreState(r);
        _controlOut.Clear();
        int count = r.ReadInt32();
        for (int i = 0; i < count; i++) _controlOut.Enqueue(r.ReadBytes(r.ReadInt32()));
        _hostWork = r.ReadBoolean();
    }
}
