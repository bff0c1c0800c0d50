namespace Vm.Engine.Devices.Virtio;

/// <summary>A port's open state and the bytes the host sent that the guest has not taken yet.</summary>
public sealed partial class ConsolePort
{
    internal void SaveState(BinaryWriter w)
    {
        w.Write(Name ?? "");
        w.Write(GuestOpen);
        w.Write(_hostOpen);
        w.Write(HostOpenAnnounced);
        w.Write(Ready);
        lock (_toGuest)
        {
            var pending = _toGuest.SelectMany(b => b).Skip(_toGuestOffset).ToArray();
            w.Write(pending.Length);
            w.Write(pending);
        }
    }

    internal void RestoreState(BinaryReader r)
    {
        string name = r.ReadString();
        if (name != (Name ?? ""))
        {
            throw new Snapshots.SnapshotException($"The snapshot's console port {Id} is '{name}'; this machine's is '{Name}'.");
        }
        GuestOpen = r.ReadBoolean();
        _hostOpen = r.ReadBoolean();
        HostOpenAnnounced = r.ReadBoolean();
        Ready = r.ReadBoolean();
        byte[] pending = r.ReadBytes(r.ReadInt32());
        lock (_toGuest)
        {
            _toGuest.Clear();
            _toGuestOffset = 0;
            if (pending.Length > 0) _toGuest.Enqueue(pending);
        }
    }
}
