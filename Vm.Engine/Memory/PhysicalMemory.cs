using System.Runtime.InteropServices;

namespace Vm.Engine.Memory;

/// <summary>
/// Guest RAM as one native buffer (so a future JIT can address it directly) plus a per-page
/// "holds decoded code" flag that makes writes to such pages invalidate the decoded blocks.
/// Addresses at or above the RAM size read as all ones and ignore writes (no MMIO yet).
/// </summary>
public sealed unsafe partial class PhysicalMemory : IDisposable
{
    public byte* Ram { get; private set; }
    public uint Size { get; }
    /// <summary>One byte per 4 KiB page: non-zero when decoded blocks exist for the page.</summary>
    internal readonly byte[] CodePages;
    internal Action<uint>? CodeWritten;
    // False when the RAM lives in memory someone else provides (a Wasmtime memory in the wasm JIT's tests).
    private readonly bool _ownsRam = true;

    public PhysicalMemory(uint size)
    {
        if (size < 16u << 20 || (size & 0xFFF) != 0 || size > 0xF0000000u)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "RAM must be 16 MiB .. 3.75 GiB, a multiple of 4 KiB.");
        }
        Size = size;
        Ram = (byte*)NativeMemory.AlignedAlloc(size, 4096);
        NativeMemory.Clear(Ram, size);
        CodePages = new byte[size >> 12];
    }

    /// <summary>RAM in a buffer the caller provides and frees (4 KiB-aligned, zeroed by the caller).</summary>
    public PhysicalMemory(byte* ram, uint size)
    {
        if (size < 16u << 20 || (size & 0xFFF) != 0 || size > 0xF0000000u || ((nint)ram & 0xFFF) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "RAM must be 16 MiB .. 3.75 GiB, a multiple of 4 KiB, 4 KiB-aligned.");
        }
        Size = size;
        Ram = ram;
        CodePages = new byte[size >> 12];
        _ownsRam = false;
    }

    public bool IsRam(uint phys) => phys < Size;

    public byte Read8(uint p) => p < Size ? Ram[p] : (byte)0xFF;

    public uint Read32(uint p) => p <= Size - 4 ? *(uint*)(Ram + p) : 0xFFFFFFFF;

    public void Write8(uint p, byte v)
    {
        if (p < Size)
        {
            if (CodePages[p >> 12] != 0) CodeWritten?.Invoke(p);
            Ram[p] = v;
        }
    }

    public void Write32(uint p, uint v)
    {
        if (p <= Size - 4)
        {
            if (CodePages[p >> 12] != 0 || CodePages[(p + 3) >> 12] != 0) CodeWritten?.Invoke(p);
            *(uint*)(Ram + p) = v;
        }
    }

    public void Load(uint address, ReadOnlySpan<byte> data)
    {
        if ((ulong)address + (ulong)data.Length > Size)
        {
            throw new ArgumentException($"Data of {data.Length} bytes does not fit at 0x{address:X} in {Size >> 20} MiB of RAM.");
        }
        data.CopyTo(new Span<byte>(Ram + address, data.Length));
    }

    public Span<byte> Span(uint address, int length) => new(Ram + address, length);

    public void Dispose()
    {
        if (Ram != null)
        {
            if (_ownsRam) NativeMemory.AlignedFree(Ram);
            Ram = null;
        }
    }
}
