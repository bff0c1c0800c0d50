using System.Diagnostics;
using Vm.Engine.Cpu;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;
using Vm.Engine.Jit.Frontend;
using Vm.Engine.Memory;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// The WebAssembly backend. The front end says which blocks are hot; the backend compiles
/// the hot block's whole physical page into one module (<see cref="PageScanner"/>,
/// <see cref="PageLowering"/>): every hot entry of the page plus the blocks reachable from them
/// by branches inside the page, chained by a dispatch loop inside wasm, so a loop runs without
/// returning to C#. New hot blocks on a page rebuild its module (batched); a write to the page
/// discards it (exactly the affected code); at most <see cref="MaxPages"/> page modules are
/// kept, the least recently entered evicted first.
/// </summary>
/// <remarks>
/// It decodes the page itself rather than lowering the front end's per-block micro-ops: a module
/// spans the page's blocks, and the hottest loop ends (CMP+Jcc) are fused interpreter slots that
/// the micro-ops keep as handler calls, which would stop chaining at every loop edge.
/// </remarks>
public sealed unsafe class WasmBackend : IJitBackend
{
    internal sealed class PageCode
    {
        public IWasmEntry? Module;
        public Dictionary<uint, int> Blocks = new();
        public readonly HashSet<uint> Entries = new();
        /// <summary>Hot entries the last build could not include (the scan's block limit): rebuilding again would not help.</summary>
        public readonly HashSet<uint> Left = new();
        /// <summary>Hot entries the current module was built for.</summary>
        public int Built;
        /// <summary>Runs of hot blocks of this page that were not in its module, since it was built.</summary>
        public int MissedRuns;
        public long LastUse;
        /// <summary>
        /// The module's block index + 1 at each page offset where one starts (0: none), 4096 bytes in
        /// memory the generated code reads: how the dispatcher (and the module itself, for a RET)
        /// finds a block by its offset. Null until the page is first built.
        /// </summary>
        public byte* BlockAt;
    }

    /// <summary>
    /// Instructions one entry may run before it returns to the run loop (bounds timer latency: at
    /// the browser's 300-500 M wasm instructions/s, 0.2-0.3 ms). At 20 000, the budget ended most
    /// entries of a busy workload (gzip1x: 45 k entries for 567 M instructions), and each return runs
    /// the run loop and the entry's glue on the browser's interpreted C# (~10 µs): 12% of gzip1x's profile.
    /// </summary>
    public const uint EntryBudget = 100_000;
    /// <summary>Interpreted runs of a page's hot blocks missing from its module that trigger a rebuild.</summary>
    public const int RebuildAfterMisses = 1000;
    /// <summary>Wasm entries between two reports of the counters to the host.</summary>
    public const int ReportEvery = 1 << 18;
    /// <summary>Also report when this long has passed (checked every 4096 entries), so a benchmark can take the counters' difference over one workload.</summary>
    public static readonly long ReportInterval = Stopwatch.Frequency / 2;
    /// <summary>
    /// A compiled block is judged after this many entries: when they retired fewer than
    /// <see cref="MinRetiredPerEntry"/> instructions in wasm each, the entry (the mirror copy in and
    /// out, C# glue that runs on the browser's interpreter) costs more than it saves, and the block
    /// is interpreted from then on.
    /// </summary>
    public const int JudgeAfter = 256, MinRetiredPerEntry = 12;
    /// <summary>Whether blocks with short wasm entries fall back to the interpreter (<see cref="JudgeAfter"/>).</summary>
    public bool ShortEntriesInterpreted { get; init; } = true;

    private readonly X86Cpu _cpu;
    private readonly PhysicalMemory _mem;
    private readonly IWasmCodeHost _host;
    private readonly JitStateMirror* _state;
    private readonly uint _stateAddr;
    private readonly nint _base;
    private readonly Dictionary<uint, PageCode> _pages = new();
    /// <summary>The same pages by physical page number, for the chaining loop in <see cref="Enter"/> (no hashing on the browser's interpreted C#).</summary>
    private readonly PageCode?[] _byPage;
    /// <summary>The wasm dispatcher, when the host has a function table (the browser, Wasmtime), and its page → table index map.</summary>
    private readonly IWasmEntry? _dispatcher;
    private readonly uint* _pageFns, _pageTables;
    /// <summary>Block tables of discarded or evicted pages, for the next page built.</summary>
    private readonly Stack<nint> _freeTables = new();
    private long _clock;
    private long _lastReport = Stopwatch.GetTimestamp();

    public string Name => "wasm";
    public int MaxPages { get; init; } = 1024;
    public WasmStats Stats;
    /// <summary>Interpret exits by cause (<see cref="ExitCause"/>): what to lower next.</summary>
    public readonly long[] ExitCauses = new long[ExitCause.Count];

    private WasmBackend(X86Cpu cpu, PhysicalMemory mem, IWasmCodeHost host)
    {
        _cpu = cpu;
        _mem = mem;
        _host = host;
        _state = (JitStateMirror*)host.AllocateShared(JitStateMirror.Size);
        _base = host.MemoryBase;
        _byPage = new PageCode?[(mem.Size + 4095) >> 12];
        _dispatcher = host.LoadDispatcher(DispatcherModule.Build());
        if (_dispatcher != null)
        {
            _pageFns = (uint*)host.AllocateShared(_byPage.Length * 4);
            _pageTables = (uint*)host.AllocateShared(_byPage.Length * 4);
            _state->PageFns = WasmAddress(_pageFns);
            _state->PageTables = WasmAddress(_pageTables);
            _state->PageCount = (uint)_byPage.Length;
        }
        _stateAddr = WasmAddress(_state);
        // Constant for the machine's life: set once, not per entry.
        _state->Ram = WasmAddress(_mem.Ram);
        var written = mem.CodeWritten;
        mem.CodeWritten = phys =>
        {
            written?.Invoke(phys);
            Discard(phys >> 12);
        };
    }

    /// <summary>Makes <paramref name="cpu"/> compile its hot code to wasm run by <paramref name="host"/>.</summary>
    public static WasmBackend Install(X86Cpu cpu, PhysicalMemory mem, IWasmCodeHost host)
    {
        var backend = new WasmBackend(cpu, mem, host);
        cpu.UseJitBackend(backend, JitMode.Wasm);
        if (host.HotThreshold is int hot) cpu.JitThreshold = hot;
        return backend;
    }

    private uint WasmAddress(void* p) => checked((uint)((nint)p - _host.MemoryBase));

    public CompiledBlock? Compile(JitBlock block)
    {
        if (!block.Code32 || block.Phys >= _mem.Size) return null;
        // A block that starts with an instruction left to the interpreter gains nothing from an
        // entry into wasm; declined, it stays with the interpreter's own loop for good.
        if (block.Instrs.Length == 0 || !PageScanner.StartsLowered(block.Instrs[0])) return null;
        uint page = block.Phys >> 12;
        uint offset = block.Phys & 0xFFF;
        if (!_pages.TryGetValue(page, out var code))
        {
            if (_pages.Count >= MaxPages) EvictOldest();
            code = new PageCode();
            _pages[page] = code;
            _byPage[page] = code;
        }
        code.Entries.Add(offset);
        // Rebuild a page when its hot entries missing from the module are as many as those it
        // has (or it has none): a page is rebuilt O(log n) times, not once per hot block. Entries
        // not in the module yet are interpreted (Enter's fallback).
        int missing = code.Entries.Count(e => !code.Blocks.ContainsKey(e) && !code.Left.Contains(e));
        if (missing > 0 && (code.Module == null || missing >= Math.Max(1, code.Built))) Build(page, code);
        Instr[] instrs = block.Instrs;
        nint[] handlers = block.Handlers;
        var offsets = new int[instrs.Length];
        for (int k = 0, o = 0; k < instrs.Length; k++) { offsets[k] = o; o += instrs[k].Len; }
        var entry = new EntryRecord();
        return new CompiledBlock(cpu => entry.Short
            ? _cpu.RunInstructionsFrom(instrs, handlers, 0, _cpu.S.Eip)
            : Enter(page, offset, instrs, handlers, offsets, entry));
    }

    /// <summary>What one compiled block's entries into wasm retired, to stop entering where it does not pay.</summary>
    internal sealed class EntryRecord
    {
        public int Entries;
        public long Retired;
        /// <summary>The page module and block index the last entry found (<see cref="Enter"/> checks the module is still current).</summary>
        public PageCode? Code;
        public IWasmEntry? Module;
        public int Block;
        /// <summary>Its entries retire too few instructions in wasm to pay for the entry: the block is interpreted.</summary>
        public bool Short;
    }

    private void Build(uint page, PageCode code)
    {
        var sw = Stopwatch.StartNew();
        code.Module?.Dispose();
        code.Module = null;
        SetPageFn(page, null);
        if (code.BlockAt == null) code.BlockAt = _freeTables.TryPop(out nint free) ? (byte*)free : (byte*)_host.AllocateShared(4096);
        new Span<byte>(code.BlockAt, 4096).Clear();
        var blocks = PageScanner.Scan(_mem.Ram + ((ulong)page << 12), code.Entries);
        // A block that starts with an instruction left to the interpreter gains nothing.
        blocks.RemoveAll(b => b.Body.Count == 0 && b.End == BlockEnd.Interpret);
        code.Blocks = new();
        code.Left.Clear();
        var index = new Dictionary<uint, int>();
        byte[]? bytes = null;
        if (blocks.Count > 0) (bytes, index) = PageLowering.Lower(blocks, WasmAddress(code.BlockAt), _state->Ram);
        foreach (uint e in code.Entries)
        {
            if (!index.ContainsKey(e)) code.Left.Add(e);
        }
        if (bytes == null) return;
        long loadStart = Stopwatch.GetTimestamp();
        code.Module = _host.Load(bytes);
        Stats.LoadTicks += Stopwatch.GetTimestamp() - loadStart;
        code.Blocks = index;
        foreach (var (offset, idx) in index) code.BlockAt[offset] = (byte)(idx + 1);
        SetPageFn(page, code);
        code.Built = code.Entries.Count;
        code.MissedRuns = 0;
        // The page now holds compiled code: its stores must take the slow path (and discard it).
        _cpu.MarkCodePage(page);
        Stats.ModulesBuilt++;
        Stats.ModuleBytes += bytes.Length;
        Stats.CompileTicks += sw.ElapsedTicks;
    }

    /// <summary>Publishes a page's module and block table to the dispatcher (null: the page has none).</summary>
    private void SetPageFn(uint page, PageCode? code)
    {
        if (_pageFns == null) return;
        _pageFns[page] = code?.Module is { } m ? (uint)m.TableIndex : 0;
        _pageTables[page] = code?.Module != null ? WasmAddress(code.BlockAt) : 0;
    }

    /// <summary>A page's code is gone (discarded or evicted): its module and its block table are freed.</summary>
    private void Release(uint page, PageCode code)
    {
        _byPage[page] = null;
        SetPageFn(page, null);
        code.Module?.Dispose();
        code.Module = null;
        if (code.BlockAt != null) _freeTables.Push((nint)code.BlockAt);
        code.BlockAt = null;
    }

    private void EvictOldest()
    {
        var victim = _pages.MinBy(kv => kv.Value.LastUse);
        _pages.Remove(victim.Key);
        Release(victim.Key, victim.Value);
        Stats.ModulesEvicted++;
    }

    private void Discard(uint page)
    {
        if (_pages.Remove(page, out var code))
        {
            Release(page, code);
            Stats.ModulesDiscarded++;
        }
    }

    private int Enter(uint page, uint offset, Instr[] instrs, nint[] handlers, int[] offsets, EntryRecord record)
    {
        ref CpuState s = ref _cpu.S;
        uint start = s.Eip;
        // The entry remembers its page's module and block: on the browser's interpreted C#, the
        // two dictionary lookups cost as much as the rest of the entry. A rebuilt, discarded or
        // evicted module is a different (or no) module, so the check below catches all three.
        PageCode? code = record.Code;
        IWasmEntry? module = code?.Module;
        int block = record.Block;
        if (module == null || module != record.Module)
        {
            if (!_pages.TryGetValue(page, out code) || code.Module == null || !code.Blocks.TryGetValue(offset, out block))
            {
                // Not in the page's module (yet), or the module was discarded: the interpreter runs the block.
                Stats.InterpretedEntries++;
                int done = _cpu.RunInstructionsFrom(instrs, handlers, 0, start);
                // A hot block left out by the batching that keeps running: rebuild its page now.
                if (code != null && ++code.MissedRuns >= RebuildAfterMisses && code.Entries.Contains(offset)
                    && !code.Left.Contains(offset) && _pages.GetValueOrDefault(page) == code) Build(page, code);
                return done;
            }
            module = code.Module;
            record.Code = code;
            record.Module = module;
            record.Block = block;
        }
        code!.LastUse = ++_clock;
        JitStateMirror* st = _state;
        // One 32-byte copy, not eight indexed ones (each a handful of interpreted IL ops in the browser).
        *(Regs8*)st->R = s.R;
        _cpu.ExportLazyFlags(out uint op, out uint dst, out uint src, out uint res, out bool cf);
        st->Eflags = s.Eflags;
        st->LazyOp = op; st->LazyDst = dst; st->LazySrc = src; st->LazyRes = res; st->LazyCf = cf ? 1u : 0;
        st->TlbRead = (uint)((nint)_cpu.TlbReadTable - _base);
        st->TlbWrite = (uint)((nint)_cpu.TlbWriteTable - _base);
        ref Segments6 seg = ref s.Seg;
        st->SegBase[0] = seg[0].Base; st->SegBase[1] = seg[1].Base; st->SegBase[2] = seg[2].Base;
        st->SegBase[3] = seg[3].Base; st->SegBase[4] = seg[4].Base; st->SegBase[5] = seg[5].Base;
        st->Entry = (uint)block;
        st->LinearPage = start & 0xFFFFF000;
        st->Budget = EntryBudget;
        st->Cpl = (uint)s.Cpl;
        uint csBase = seg[Reg.Cs].Base;
        int retired;
        bool chained = false;
        bool dispatched = _dispatcher != null && (csBase & 0xFFF) == 0 && module.TableIndex != 0;
        if (dispatched)
        {
            // Chained inside wasm: the dispatcher calls this module, then the modules its branches reach.
            st->FirstFn = (uint)module.TableIndex;
            _dispatcher!.Run(_stateAddr);
            retired = (int)st->Retired;
            chained = st->Chained != 0;
            Stats.ChainedEntries += st->Chained;
        }
        else
        {
            module.Run(_stateAddr);
            retired = (int)st->Retired;
        }
        // Without the wasm dispatcher, the same chaining from C#: when a branch's target starts a
        // block of another page's module (or this one's), enter that one at once. The state stays in the mirror between the two,
        // so a chained entry costs a TLB and table lookup instead of the run loop and the copies.
        while (!dispatched && (JitExit)st->Exit == JitExit.Branch && retired < EntryBudget - 256 && (csBase & 0xFFF) == 0)
        {
            uint eip = st->Eip;
            uint tlb = _cpu.TlbReadTable[(eip + csBase) >> 12];
            if ((tlb & 0xFFF) != 0 || (tlb >> 12) >= (uint)_byPage.Length) break;
            PageCode? next = _byPage[tlb >> 12];
            IWasmEntry? nextModule = next?.Module;
            if (nextModule == null) break;
            int at = next!.BlockAt[eip & 0xFFF];
            if (at == 0) break;
            next.LastUse = ++_clock;
            st->Entry = (uint)(at - 1);
            st->LinearPage = eip & 0xFFFFF000;
            st->Budget = EntryBudget - (uint)retired;
            nextModule.Run(_stateAddr);
            retired += (int)st->Retired;
            chained = true;
            Stats.ChainedEntries++;
        }
        s.R = *(Regs8*)st->R;
        s.Eip = st->Eip;
        s.Eflags = st->Eflags;
        _cpu.ImportLazyFlags(st->LazyOp, st->LazyDst, st->LazySrc, st->LazyRes, st->LazyCf != 0);
        Stats.WasmInstructions += retired;
        if ((++Stats.Entries & 4095) == 0 && ((Stats.Entries & (ReportEvery - 1)) == 0 || Stopwatch.GetTimestamp() - _lastReport > ReportInterval))
        {
            _lastReport = Stopwatch.GetTimestamp();
            _host.Report(Stats, _cpu.InstructionCount, TopExitCauses(12).ToList());
        }
        record.Retired += retired;
        if (++record.Entries == JudgeAfter && record.Retired < (long)JudgeAfter * MinRetiredPerEntry && ShortEntriesInterpreted)
        {
            record.Short = true;
            Stats.ShortBlocks++;
        }
        if ((JitExit)st->Exit == JitExit.Interpret)
        {
            Stats.InterpretExits++;
            ExitCauses[st->ExitCause]++;
            // Stopped inside the entered block (a TLB miss, an instruction left to the
            // interpreter): its handlers finish it, so every entry makes progress.
            uint at = s.Eip - start;
            if (at < 4096 && !chained)
            {
                int k = Array.IndexOf(offsets, (int)at);
                if (k >= 0) retired += _cpu.RunInstructionsFrom(instrs, handlers, k, s.Eip);
            }
        }
        return retired;
    }

    /// <summary>The most frequent causes of Interpret exits so far, most frequent first.</summary>
    public IEnumerable<(string Cause, long Count)> TopExitCauses(int n) =>
        ExitCauses.Select((count, cause) => (ExitCause.Name(cause), count)).Where(x => x.count > 0)
            .OrderByDescending(x => x.count).Take(n);
}

/// <summary>What the wasm backend did, for profiles and benchmarks.</summary>
public struct WasmStats
{
    public long ModulesBuilt, ModulesEvicted, ModulesDiscarded, ModuleBytes, CompileTicks;
    /// <summary>Of <see cref="CompileTicks"/>, the host's part (in the browser V8's synchronous compile and instantiation); the rest is scanning and lowering in C#.</summary>
    public long LoadTicks;
    public long Entries, WasmInstructions, InterpretExits, InterpretedEntries;
    /// <summary>Compiled blocks sent back to the interpreter because their wasm entries were short.</summary>
    public long ShortBlocks;
    /// <summary>Modules entered straight from another's branch exit, without the run loop.</summary>
    public long ChainedEntries;
}
