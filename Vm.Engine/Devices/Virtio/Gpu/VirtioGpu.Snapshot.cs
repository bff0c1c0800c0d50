using Vm.Engine.Snapshots;

namespace Vm.Engine.Devices.Virtio.Gpu;

/// <summary>
/// The resources (their host pictures and backing lists), the scanout with the picture it shows,
/// the cursor and the counters. Host pictures are device state the guest's RAM does not hold (a
/// transfer copies out of the backing), so they are saved whole.
/// </summary>
public sealed partial class VirtioGpu
{
    protected override void SaveDevice(BinaryWriter w)
    {
        w.Write(Commands);
        w.Write(CommandErrors);
        w.Write(LastCommandError ?? "");
        w.Write(CursorResource);
        w.Write(CursorX);
        w.Write(CursorY);
        w.Write(_resources.Count);
        foreach (var res in _resources.Values.OrderBy(r => r.Id))
        {
            w.Write(res.Id);
            w.Write((uint)res.Format);
            w.Write(res.Width);
            w.Write(res.Height);
            w.Write(res.Pixels);
            w.Write(res.Backing.Count);
            foreach (var e in res.Backing)
            {
                w.Write(e.Address);
                w.Write(e.Length);
            }
        }
        w.Write(Screen.ResourceId);
        WriteRect(w, Screen.Source);
        w.Write(Screen.Mode.Width);
        w.Write(Screen.Mode.Height);
        w.Write(Screen.Buffer);
    }

    protected override void RestoreDevice(BinaryReader r)
    {
        Commands = r.ReadInt64();
        CommandErrors = r.ReadInt64();
        string error = r.ReadString();
        LastCommandError = error.Length == 0 ? null : error;
        CursorResource = r.ReadUInt32();
        CursorX = r.ReadUInt32();
        CursorY = r.ReadUInt32();
        _resources.Clear();
        _resourceBytes = 0;
        int count = r.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            uint id = r.ReadUInt32();
            var format = (GpuFormat)r.ReadUInt32();
            uint width = r.ReadUInt32(), height = r.ReadUInt32();
            if (width == 0 || height == 0 || width > MaxSide || height > MaxSide || !PixelFormats.IsSupported((uint)format))
                throw new SnapshotException($"Section '{SnapshotSection}' has a resource {id} of {width}x{height} in format {(uint)format}, which this device cannot hold.");
            var res = new GpuResource(id, format, width, height);
            r.ReadBytes(res.Pixels.Length).CopyTo(res.Pixels, 0);
            var backing = new BackingEntry[r.ReadInt32()];
            for (int b = 0; b < backing.Length; b++) backing[b] = new BackingEntry(r.ReadUInt64(), r.ReadUInt32());
            res.AttachBacking(backing);
            _resources[id] = res;
            _resourceBytes += res.Pixels.Length;
        }
        uint shown = r.ReadUInt32();
        var source = ReadRect(r);
        int w = r.ReadInt32(), h = r.ReadInt32();
        if (w != Screen.Mode.Width || h != Screen.Mode.Height)
            throw new SnapshotException($"The snapshot's virtio-gpu screen is {w}x{h}; this machine's display is {Screen.Mode.Width}x{Screen.Mode.Height}.");
        Screen.Load(r.ReadBytes(Screen.Mode.FrameBytes), shown, source);
    }

    private static void WriteRect(BinaryWriter w, GpuRect rect)
    {
        w.Write(rect.X);
        w.Write(rect.Y);
        w.Write(rect.Width);
        w.Write(rect.Height);
    }

    private static GpuRect ReadRect(BinaryReader r) => new(r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32());
}
