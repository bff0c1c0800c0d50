namespace Vm.Engine.Devices.Virtio.Gpu;

/// <summary>One page run of a resource's backing in guest RAM (virtio_gpu_mem_entry).</summary>
public readonly record struct BackingEntry(ulong Address, uint Length);

/// <summary>
/// A 2D resource: an image the host keeps in its own memory (<see cref="Pixels"/>, rows of
/// Width × 4 bytes in the resource's format) plus the guest pages attached as its backing. The guest
/// draws into the backing; TRANSFER_TO_HOST_2D copies a rectangle of it into the host image, which
/// is what a scanout shows once flushed (§5.7.6.7: the host copy is the device's, the backing the driver's).
/// </summary>
public sealed class GpuResource
{
    public const int BytesPerPixel = 4;

    public GpuResource(uint id, GpuFormat format, uint width, uint height)
    {
        Id = id;
        Format = format;
        Width = width;
        Height = height;
        Pixels = new byte[checked((int)(width * height * BytesPerPixel))];
    }

    public uint Id { get; }
    public GpuFormat Format { get; }
    public uint Width { get; }
    public uint Height { get; }
    public int Stride => (int)Width * BytesPerPixel;
    public byte[] Pixels { get; }

    private BackingEntry[] _backing = [];
    /// <summary>Where each entry starts within the backing (prefix sums), for finding an offset's entry by binary search.</summary>
    private ulong[] _starts = [];

    public IReadOnlyList<BackingEntry> Backing => _backing;
    public bool HasBacking => _backing.Length > 0;
    public ulong BackingBytes { get; private set; }

    public void AttachBacking(BackingEntry[] entries)
    {
        _backing = entries;
        _starts = new ulong[entries.Length];
        ulong at = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            _starts[i] = at;
            at += entries[i].Length;
        }
        BackingBytes = at;
    }

    public void DetachBacking() => AttachBacking([]);

    /// <summary>
    /// Copies <paramref name="rect"/> from the backing into the host image. The backing is laid out
    /// like the image (same stride); <paramref name="offset"/> is where the rectangle's first pixel
    /// lies in it, and each further row is one stride on (§5.7.6.7, TRANSFER_TO_HOST_2D).
    /// The caller has checked that the rectangle fits and the backing covers it.
    /// </summary>
    public void TransferToHost(GuestRam ram, GpuRect rect, ulong offset)
    {
        int rowBytes = (int)rect.Width * BytesPerPixel;
        for (uint row = 0; row < rect.Height; row++)
        {
            int to = (int)((rect.Y + row) * (uint)Stride + rect.X * BytesPerPixel);
            ReadBacking(ram, offset + (ulong)row * (ulong)Stride, Pixels.AsSpan(to, rowBytes));
        }
    }

    /// <summary>The last backing byte a transfer of <paramref name="rect"/> at <paramref name="offset"/> reads, plus one.</summary>
    public ulong TransferEnd(GpuRect rect, ulong offset) =>
        rect.IsEmpty ? offset : offset + (ulong)(rect.Height - 1) * (ulong)Stride + rect.Width * (ulong)BytesPerPixel;

    private void ReadBacking(GuestRam ram, ulong offset, Span<byte> into)
    {
        int entry = Array.BinarySearch(_starts, offset);
        if (entry < 0) entry = ~entry - 1;
        while (into.Length > 0)
        {
            var e = _backing[entry];
            ulong within = offset - _starts[entry];
            int n = (int)Math.Min((ulong)into.Length, e.Length - within);
            ram.Read(e.Address + within, into[..n]);
            into = into[n..];
            offset += (ulong)n;
            entry++;
        }
    }
}
