using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

/// <summary>One decoded instruction and its handler, side by side so the run loop touches one array.</summary>
internal struct Slot
{
    /// <summary>The handler (a <c>delegate*&lt;X86Cpu, in Instr, void&gt;</c>).</summary>
    public nint Fn;
    public Instr I;
}

/// <summary>A run of decoded instructions from one physical page, ending at a control transfer.</summary>
internal sealed class Block
{
    public required Slot[] Code;
    /// <summary>The last slot the run loop executes; the slots after it hold move runs' data (FusedMoveRun.cs).</summary>
    public int Last;
    public uint Phys;
    public ulong Key;
    public bool Valid = true;
    /// <summary>
    /// The block ends with a transfer that keeps CS and CPL (near jumps, calls, returns, Jcc) or
    /// with no transfer at all, so its successor is found by EIP alone (see the links).
    /// </summary>
    public bool CanChain;
    /// <summary>Instructions folded into another slot (a fused compare-and-branch), counted when the block completes.</summary>
    public int Fused;
    // Links to the two successors seen last (taken and fall-through), each valid for the TLB
    // generation it was made in: following one skips the lookup by linear address.
    public Block? Link0, Link1;
    public uint LinkEip0, LinkEip1, LinkGen0, LinkGen1;
    /// <summary>Runs counted toward the JIT threshold (Jit/X86Cpu.Jit.cs).</summary>
    public int Hits;
    /// <summary>The block's compiled code, once hot (null: interpret it).</summary>
    public Vm.Engine.Jit.CompiledBlock? Compiled;
}

/// <summary>Decoded blocks per physical page: lookup, decoding, chaining and invalidation on code writes.</summary>
public sealed unsafe partial class X86Cpu
{
    private readonly Dictionary<ulong, Block> _blocks = new();
    private readonly Dictionary<uint, List<Block>> _pageBlocks = new();
    // Direct-mapped front cache over _blocks (a dictionary lookup per block was measurable).
    private const int FastCacheSize = 1 << 14;
    private readonly Block?[] _fastCache = new Block?[FastCacheSize];
    // A second front cache keyed by linear EIP (plus CPL and code size), valid for one TLB
    // generation: a hit skips the address translation too.
    private struct LinEntry { public uint Lin; public uint Mode; public uint Gen; public Block? Block; }
    private readonly LinEntry[] _linCache = new LinEntry[FastCacheSize];
    /// <summary>Bumped on every TLB flush or INVLPG: linear-keyed caches and block links older than it are stale.</summary>
    internal uint TlbGeneration = 1;
    public long CodeInvalidations;
    public long BlocksDecoded;

    private sealed class PageSource : IByteSource
    {
        public byte* Page;
        public int Start;
        public int Fetch(int offset) => Start + offset < 4096 ? Page[Start + offset] : -1;
    }

    private sealed class LinearSource(X86Cpu cpu) : IByteSource
    {
        public uint Lin;
        public int Fetch(int offset) => offset < 16 ? cpu.FetchLinear(Lin + (uint)offset) : -1;
    }

    private readonly PageSource _pageSrc = new();
    private LinearSource? _linSrc;
    private readonly List<Instr> _decodeBuf = new(64);

    internal byte FetchLinear(uint lin)
    {
        uint e = _tlbRead[lin >> 12];
        uint p = (e & 0xFFF) == 0 ? e | (lin & 0xFFF) : Translate(lin, false, UserAccess);
        return _mem.Read8(p);
    }

    private void OnCodeWritten(uint phys)
    {
        uint page = phys >> 12;
        CodeInvalidations++;
        if (_pageBlocks.Remove(page, out var list))
        {
            foreach (var b in list)
            {
                b.Valid = false;
                _blocks.Remove(b.Key);
                DropCompiled(b);
            }
        }
        _mem.CodePages[page] = 0;
        StopBlock = true;
    }

    /// <summary>
    /// Drops every decoded block (after a reset or a state restore). Block links and the
    /// linear cache die with the blocks (they check Valid); the TLB generation moves on too.
    /// </summary>
    public void FlushCodeCache()
    {
        foreach (var list in _pageBlocks.Values)
        {
            foreach (var b in list) b.Valid = false;
        }
        foreach (var page in _pageBlocks.Keys) _mem.CodePages[page] = 0;
        DropAllCompiled();
        _pageBlocks.Clear();
        _blocks.Clear();
        Array.Clear(_fastCache);
        Array.Clear(_linCache);
        TlbGeneration++;
    }

    /// <summary>The block after <paramref name="b"/> at the current EIP: through b's links when they fit.</summary>
    private Block NextBlock(Block b)
    {
        uint eip = S.Eip;
        uint gen = TlbGeneration;
        if (b.CanChain)
        {
            Block? n = b.Link0;
            if (n != null && b.LinkEip0 == eip && b.LinkGen0 == gen && n.Valid) return n;
            n = b.Link1;
            if (n != null && b.LinkEip1 == eip && b.LinkGen1 == gen && n.Valid) return n;
            n = GetBlock();
            if (n.Valid)
            {
                // Keep the newest link in slot 0 and the previous one in slot 1 (a loop's
                // back edge and its exit both stay linked).
                b.Link1 = b.Link0; b.LinkEip1 = b.LinkEip0; b.LinkGen1 = b.LinkGen0;
                b.Link0 = n; b.LinkEip0 = eip; b.LinkGen0 = gen;
            }
            return n;
        }
        return GetBlock();
    }

    private Block GetBlock()
    {
        uint lin = S.Seg[Reg.Cs].Base + S.Eip;
        uint mode = (uint)S.Cpl | (S.Seg[Reg.Cs].Big ? 4u : 0);
        ref LinEntry le = ref _linCache[(int)((lin ^ (lin >> 13)) & (FastCacheSize - 1))];
        if (le.Lin == lin && le.Mode == mode && le.Gen == TlbGeneration && le.Block != null && le.Block.Valid) return le.Block;
        Block b = GetBlockSlow(lin);
        if (b.Valid) { le.Lin = lin; le.Mode = mode; le.Gen = TlbGeneration; le.Block = b; }
        return b;
    }

    private Block GetBlockSlow(uint lin)
    {
        uint e = _tlbRead[lin >> 12];
        uint phys = (e & 0xFFF) == 0 ? e | (lin & 0xFFF) : Translate(lin, false, UserAccess);
        bool code32 = S.Seg[Reg.Cs].Big;
        ulong key = phys | (code32 ? 1UL << 32 : 0);
        int slot = (int)((phys ^ (phys >> 14)) & (FastCacheSize - 1));
        Block? block = _fastCache[slot];
        if (block != null && block.Key == key && block.Valid) return block;
        if (_blocks.TryGetValue(key, out block))
        {
            _fastCache[slot] = block;
            return block;
        }
        if (phys >= _ramSize)
        {
            // Executing outside RAM: nothing sensible to run.
            throw new CpuFault(Vec.UD);
        }
        BlocksDecoded++;
        _decodeBuf.Clear();
        _pageSrc.Page = _ram + (phys & 0xFFFFF000);
        _pageSrc.Start = (int)(phys & 0xFFF);
        while (true)
        {
            if (!Decoder.TryDecode(_pageSrc, code32, out var ins))
            {
                break; // crosses the page end: the next block starts with it
            }
            _decodeBuf.Add(ins);
            _pageSrc.Start += ins.Len;
            if (EndsBlock(in ins) || _decodeBuf.Count >= 48 || _pageSrc.Start >= 4096)
            {
                break;
            }
        }
        if (_decodeBuf.Count == 0)
        {
            // One instruction crossing a page boundary: decode through linear fetches, uncached.
            _linSrc ??= new LinearSource(this);
            _linSrc.Lin = lin;
            if (!Decoder.TryDecode(_linSrc, code32, out var ins)) ins = default;
            return new Block { Code = [new Slot { Fn = (nint)HandlerFor(in ins), I = ins }], Phys = phys, Valid = false };
        }
        int n = _decodeBuf.Count;
        bool canChain = KeepsCodeSegment(_decodeBuf[n - 1]);
        Slot fused = default;
        bool fuse = n >= 2 && TryFuseCompareBranch(_decodeBuf[n - 2], _decodeBuf[n - 1], out fused);
        var code = BuildSlots(_decodeBuf, fuse ? n - 2 : n, fuse ? fused : null, out int last);
        block = new Block { Code = code, Last = last, Phys = phys, Key = key, CanChain = canChain, Fused = fuse ? 1 : 0 };
        _blocks[key] = block;
        _fastCache[slot] = block;
        uint page = phys >> 12;
        if (!_pageBlocks.TryGetValue(page, out var list)) _pageBlocks[page] = list = new List<Block>();
        list.Add(block);
        if (_mem.CodePages[page] == 0)
        {
            _mem.CodePages[page] = 1;
            DropWriteEntries(page);
        }
        return block;
    }

    /// <summary>
    /// Whether a block ends after the instruction: the opcode table's control transfers and
    /// state changes, except INC/DEC/PUSH r/m (FF /0 /1 /6), which share opcode FF with them.
    /// </summary>
    internal static bool EndsBlock(in Instr i)
    {
        if (i.Op == Decoder.Undefined) return true;
        if ((OpcodeTable.Flags[i.Op] & Op.EndsBlock) == 0) return false;
        return i.Op != 0xFF || i.RegField is not (0 or 1 or 6);
    }

    /// <summary>Whether the instruction leaves CS, CPL and the code size as they were (so a block ending with it can be linked).</summary>
    private static bool KeepsCodeSegment(Instr i)
    {
        if (i.Op == Decoder.Undefined) return false;
        if (!EndsBlock(in i)) return true;
        int op = i.Op;
        return op is (>= 0x70 and <= 0x7F) or (>= 0x180 and <= 0x18F) or 0xE8 or 0xE9 or 0xEB or 0xC2 or 0xC3 or (>= 0xE0 and <= 0xE3)
            || (op == 0xFF && i.RegField is 2 or 4);
    }
}
