using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;
using Vm.Engine.Jit;
using Vm.Engine.Jit.Frontend;

namespace Vm.Engine.Cpu;

/// <summary>Counters of the JIT's work, for profiles and benchmarks.</summary>
public struct JitStats
{
    public long BlocksCompiled, CompileFailures, Evictions, Invalidations;
    /// <summary>Micro-ops compiled natively vs as interpreter handler calls.</summary>
    public long NativeOps, HandlerOps;
    /// <summary>Entries into compiled blocks, and the instructions they retired.</summary>
    public long CompiledRuns;
    public ulong CompiledInstructions;
    /// <summary>Entries compiled code made into other compiled code without the run loop (<c>X86Cpu.JitChain</c>).</summary>
    public long Chained;
    /// <summary>Chained entries a site took from its own record (<see cref="ChainSite"/>), without the shared lookup.</summary>
    public long ChainSiteHits;
    /// <summary>Blocks that got compiled code as a secondary entry of another block's region.</summary>
    public long SharedEntries;
}

/// <summary>
/// The interpreter's side of the JIT: blocks count their runs, and at the threshold the
/// front end translates them and the backend compiles them; the run loop then calls the
/// compiled code. Compiled code is bounded (oldest compiled first out) and dropped with its
/// block when the block's page is written.
/// </summary>
public sealed unsafe partial class X86Cpu
{
    private IJitBackend? _jitBackend;
    /// <summary>The instruction count the current RunBlocks stops at: a compiled loop checks it between iterations.</summary>
    private ulong _jitRunEnd;
    private readonly Queue<Block> _compiledOrder = new();
    /// <summary>
    /// Moves on whenever compiled code is dropped (invalidated, evicted, flushed): a chain site's
    /// remembered successor (<see cref="ChainSite"/>) is good only while it is unchanged.
    /// </summary>
    private uint _jitCodeEpoch;
    public JitStats JitCounters;

    /// <summary>Which backend compiles hot blocks (Off: interpreter only).</summary>
    public JitMode JitMode { get; private set; }

    /// <summary>
    /// Runs of a block before it is compiled (1: at once). Unless set, it follows the backend:
    /// 1000 for wasm; for IL 1000 measured better than 50 on the boot (compiling a DynamicMethod
    /// costs about as much as a thousand interpreted runs of a short block), and 4000 better
    /// than 1000 on the boot and every workload (~10% less CPU: a third fewer regions compiled,
    /// the code of the hottest ones the same).
    /// </summary>
    public int JitThreshold
    {
        get => _jitThreshold;
        set { _jitThreshold = value; _jitThresholdSet = true; }
    }
    private int _jitThreshold = 1000;
    private bool _jitThresholdSet;

    /// <summary>At most this many blocks per compiled region (1: one block per method); see <see cref="JitRegion"/>.</summary>
    public int JitRegionLimit { get; set; } = JitRegion.MaxBlocks;

    /// <summary>
    /// Whether the IL backend keeps guest registers in locals within a region (else every
    /// access goes to S). A switch for measuring; see <c>Il/RegionRegisters.cs</c>.
    /// </summary>
    public bool JitRegisterLocals { get; set; }

    /// <summary>At most this many compiled blocks are kept; the oldest compiled goes first.</summary>
    public int JitCacheLimit { get; set; } = 16384;

    /// <summary>
    /// When set before code is compiled, compiled code counts the handler calls it makes per
    /// opcode (0x000-0x1FF) and native ops per <see cref="JitOp"/>: what to lower next.
    /// </summary>
    public JitProfile? JitProfile { get; set; }

    public void SetJitMode(JitMode mode)
    {
        _jitBackend = JitBackends.Create(mode, this);
        JitMode = mode;
        if (!_jitThresholdSet) _jitThreshold = mode == JitMode.Il ? 4000 : 1000;
        DropAllCompiled();
    }

    /// <summary>Translates and compiles a hot block; null (and never again) when the backend declines or fails.</summary>
    private CompiledBlock? CompileHot(Block b)
    {
        if (!b.Valid) return null;
        CompiledBlock? code = null;
        try
        {
            Instr[]? instrs = DecodeForJit(b);
            JitBlock? jb = instrs != null ? Translator.Translate(b, instrs) : null;
            code = jb != null ? _jitBackend!.Compile(jb) : null;
            if (code != null)
            {
                int native = jb!.NativeOps;
                JitCounters.NativeOps += native;
                JitCounters.HandlerOps += jb.Ops.Length - native;
            }
        }
        catch (Exception e) when (e is InvalidProgramException or NotSupportedException or InvalidOperationException)
        {
            code = null;
        }
        if (code == null)
        {
            JitCounters.CompileFailures++;
            b.Hits = int.MinValue;
            return null;
        }
        JitCounters.BlocksCompiled++;
        b.Compiled = code;
        _compiledOrder.Enqueue(b);
        // The unit's other blocks (same page, decoded just now with the interpreter's
        // boundaries) take their entries, unless they have code of their own.
        if (code.MoreEntries is { } more)
        {
            ulong mode = b.Key & ~0xFFFFFFFFUL;
            foreach (var (phys, entry) in more)
            {
                if (_blocks.TryGetValue(phys | mode, out Block? other) && other.Valid && other.Compiled == null && other.Hits >= 0)
                {
                    other.Compiled = entry;
                    _compiledOrder.Enqueue(other);
                    JitCounters.SharedEntries++;
                }
            }
        }
        while (_compiledOrder.Count > JitCacheLimit)
        {
            Block old = _compiledOrder.Dequeue();
            if (old.Compiled != null)
            {
                old.Compiled = null;
                old.Hits = 0;
                _jitCodeEpoch++;
                JitCounters.Evictions++;
            }
        }
        return code;
    }

    /// <summary>
    /// The block's instructions, decoded again from its page (unchanged since: a write would
    /// have invalidated the block); null when they do not match the block's slots. Decoded up
    /// to the slots' byte length, not their count: a fused slot (compare-and-branch, or a
    /// copy-then-operate pair anywhere in the block) stands for two instructions.
    /// </summary>
    private Instr[]? DecodeForJit(Block b)
    {
        int bytes = 0;
        foreach (ref readonly Slot s in b.Code.AsSpan()) bytes += s.I.Len;
        var instrs = new List<Instr>(b.Code.Length + b.Fused + 4);
        var src = new PageSource { Page = _ram + (b.Phys & 0xFFFFF000), Start = (int)(b.Phys & 0xFFF) };
        int end = src.Start + bytes;
        bool code32 = (b.Key >> 32) != 0;
        while (src.Start < end)
        {
            if (!Decoder.TryDecode(src, code32, out Instr i)) return null;
            instrs.Add(i);
            src.Start += i.Len;
        }
        return src.Start == end ? [.. instrs] : null;
    }

    /// <summary>
    /// The instructions of the block the interpreter would decode at physical address
    /// <paramref name="phys"/> (same ends: a control transfer, 48 instructions, the page end or an
    /// instruction crossing it); null when none fits in the page. The JIT's regions follow
    /// branches inside one page with it, so their block boundaries, and so the instruction counts
    /// at which a run can stop, are the interpreter's.
    /// </summary>
    internal Instr[]? DecodeBlockAt(uint phys, bool code32)
    {
        // Only blocks that have run about as often as a hot one: a region of cold paths costs
        // compile time (a boot with every reachable block took 40% more CPU) and saves nothing.
        ulong key = phys | (code32 ? 1UL << 32 : 0);
        if (!_blocks.TryGetValue(key, out Block? known) || !known.Valid) return null;
        if (known.Compiled == null && known.Hits < JitThreshold / 2) return null;
        var src = new PageSource { Page = _ram + (phys & 0xFFFFF000), Start = (int)(phys & 0xFFF) };
        var list = new List<Instr>();
        while (src.Start < 4096 && Decoder.TryDecode(src, code32, out var ins))
        {
            list.Add(ins);
            src.Start += ins.Len;
            if (EndsBlock(in ins) || list.Count >= 48) break;
        }
        return list.Count == 0 ? null : list.ToArray();
    }

    /// <summary>
    /// Compiled code's slow memory paths (a TLB miss, a page-crossing access, MMIO, a code page):
    /// one call each, never inlined. RyuJIT inlined the interpreter's aggressively inlined
    /// accessors and their slow paths into every access of a region: larger code, longer
    /// compiles, and values kept in stack slots on the fast path to survive them.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal uint JitReadSlow(uint lin, int size) => size switch
    {
        1 => Read8(lin),
        2 => Read16(lin),
        _ => Read32Slow(lin),
    };

    /// <summary>The slow path of compiled stores (see <see cref="JitReadSlow"/>); a code page sets StopBlock.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void JitWriteSlow(uint lin, uint v, int size)
    {
        switch (size)
        {
            case 1: Write8(lin, (byte)v); break;
            case 2: Write16(lin, (ushort)v); break;
            default: WriteSplit(lin, v, 4); break;
        }
    }

    /// <summary>
    /// Called by compiled code when a block of <paramref name="retired"/> instructions is done
    /// and S.Eip is outside its region: the entry of the next block's compiled code when the run
    /// loop would have gone on to it (the same checks) and it is compiled, with the finished block
    /// counted; else null, nothing counted, and the code returns to the run loop. Each exit site
    /// then calls its successor itself: a branch per site, which the host CPU predicts far better
    /// than the run loop's one shared call. The code calls it with the tail prefix, so a chain of
    /// any length keeps one native frame (the budget check here bounds it like the run loop's).
    /// The site remembers the successor it found (linear address, mode, TLB generation, code
    /// epoch → entry): the shared linear-address cache, the block and its code object each cost
    /// a host cache miss per chained exit (~16% of the CPU time), the site's own record one line.
    /// </summary>
    internal JitEntry? JitChain(int retired, ref ChainSite site)
    {
        if (StopBlock || CheckIrq || _interruptShadow || Halted || StopReason != null) return null;
        ulong count = InstructionCount + (ulong)retired;
        if (count >= _jitRunEnd) return null;
        uint lin = S.Seg[Reg.Cs].Base + S.Eip;
        uint mode = (uint)S.Cpl | (S.Seg[Reg.Cs].Big ? 4u : 0);
        JitEntry? entry = site.Entry;
        if (site.Lin != lin || site.Mode != mode || site.Gen != TlbGeneration || site.Epoch != _jitCodeEpoch || entry == null)
        {
            ref LinEntry le = ref _linCache[(int)((lin ^ (lin >> 13)) & (FastCacheSize - 1))];
            Block? b = le.Block;
            if (le.Lin != lin || le.Mode != mode || le.Gen != TlbGeneration || b == null || !b.Valid || b.Compiled is not { } code) return null;
            entry = code.Entry;
            site.Remember(lin, mode, TlbGeneration, _jitCodeEpoch, entry);
        }
        else JitCounters.ChainSiteHits++;
        InstructionCount = count;
        JitCounters.CompiledRuns++;
        JitCounters.CompiledInstructions += (ulong)retired;
        JitCounters.Chained++;
        return entry;
    }

    /// <summary>A block's page was written: its compiled code goes with it.</summary>
    private void DropCompiled(Block b)
    {
        if (b.Compiled == null) return;
        b.Compiled = null;
        _jitCodeEpoch++;
        JitCounters.Invalidations++;
    }

    private void DropAllCompiled()
    {
        foreach (var b in _compiledOrder) b.Compiled = null;
        _jitCodeEpoch++;
        _compiledOrder.Clear();
    }
}
