using System.Runtime.InteropServices;
using System.IO.Compression;
using Vm.Engine.Snapshots;

namespace Vm.Engine.Memory;

/// <summary>
/// RAM in a snapshot: the size, a bitmap of the 4 KiB pages that are not all zero, then those
/// pages deflated (zlib, fastest level). A freshly booted guest touches a small part of its RAM,
/// so a 256 MiB machine saves in a few MiB.
/// </summary>
public sealed unsafe partial class PhysicalMemory : ISnapshotState
{
    public string SnapshotSection => "ram";
    public int SnapshotVersion => 1;

    public void SaveState(BinaryWriter w)
    {
        int pages = (int)(Size >> 12);
        var present = new byte[(pages + 7) / 8];
        for (int p = 0; p < pages; p++)
        {
            if (Span((uint)p << 12, 4096).ContainsAnyExcept((byte)0)) present[p >> 3] |= (byte)(1 << (p & 7));
        }
        w.Write(Size);
        w.Write(present);
        w.Flush();
        using var z = new ZLibStream(w.BaseStream, CompressionLevel.Fastest, leaveOpen: true);
        for (int p = 0; p < pages; p++)
        {
            if ((present[p >> 3] & (1 << (p & 7))) != 0) z.Write(Span((uint)p << 12, 4096));
        }
    }

    public void RestoreState(BinaryReader r, int version)
    {
        uint size = r.ReadUInt32();
        if (size != Size)
            throw new SnapshotException($"The snapshot was taken with {size >> 20} MiB of RAM; this machine has {Size >> 20} MiB.");
        int pages = (int)(Size >> 12);
        byte[] present = r.ReadBytes((pages + 7) / 8);
        if (present.Length != (pages + 7) / 8) throw new EndOfStreamException();
        NativeMemory.Clear(Ram, Size);
        using var z = new ZLibStream(r.BaseStream, CompressionMode.Decompress, leaveOpen: true);
        for (int p = 0; p < pages; p++)
        {
            if ((present[p >> 3] & (1 << (p & 7))) != 0)
            {
                try
                {
                    z.ReadExactly(Span((uint)p << 12, 4096));
                }
                catch (InvalidDataException)
                {
                    throw new SnapshotException("The RAM section of the snapshot does not decompress.");
                }
            }
        }
        // ZLibStream reads ahead; the section ends where the compressed data ends.
        r.BaseStream.Position = r.BaseStream.Length;
    }
}
