using System.Diagnostics;
using Vm.Engine.Cpu;
using Vm.Engine.Cpu.State;
using Vm.Engine.Memory;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// The WebAssembly backend's dispatcher: runs the CPU, entering compiled page modules where it
/// can and the interpreter elsewhere. A page is compiled once its entry points have been reached
/// <see cref="HotThreshold"/> times; a write to a page with compiled code discards that page's
/// module (exactly the affected code), and the cache holds at most <see cref="MaxModules"/>
/// modules, evicting the least recently entered.
/// </summary>
public sealed unsafe class WasmJit : IDisposable
{
    private sealed class PageModule
    {
        public required IWasmEntry Entry;
        public required Dictionary<uint, int> Blocks;
        public required HashSet<uint> Entries;
        public long LastUse;
    }

    private readonly X86Cpu _cpu;
    private readonly PhysicalMemory _mem;
    private readonly IWasmCodeHost _host;
    private readonly JitStateMirror* _state;
    private readonly uint _stateAddr;
    // Keyed by physical page and the linear page it runs at (generated code holds linear EIPs).
    private readonly Dictionary<ulong, PageModule> _modules = new();
    private readonly Dictionary<ulong, (int Hits, HashSet<uint> Entries)> _candidates = new();
    private long _clock;
    private bool _interpretNext;

    public int HotThreshold { get; init; } = 16;
    public int MaxModules { get; init; } = 2048;
    public long ModulesCompiled { get; private set; }
    public long ModulesDiscarded { get; private set; }
    public long Entries { get; private set; }
    public long InstructionsInWasm { get; private set; }
    public TimeSpan CompileTime { get; private set; }

    public WasmJit(X86Cpu cpu, PhysicalMemory mem, IWasmCodeHost host)
    {
        _cpu = cpu;
        _mem = mem;
        _host = host;
        _state = (JitStateMirror*)host.AllocateShared(JitStateMirror.Size);
        _stateAddr = WasmAddress(_state);
        var written = mem.CodeWritten;
        mem.CodeWritten = phys =>
        {
            written?.Invoke(phys);
            Discard(phys >> 12);
        };
    }

    private uint WasmAddress(void* p) => checked((uint)((nint)p - _host.MemoryBase));

    /// <summary>Runs about <paramref name="budget"/> instructions, as <see cref="X86Cpu.Run"/> does.</summary>
    public void Run(long budget)
    {
        ulong end = _cpu.InstructionCount + (ulong)budget;
        while (_cpu.InstructionCount < end && _cpu.StopReason == null && !_cpu.Halted)
        {
            if (!_interpretNext && TryEnter(end)) continue;
            _interpretNext = false;
            // One block in the interpreter (it also delivers interrupts and faults).
            _cpu.Run(1);
        }
    }

    private bool TryEnter(ulong end)
    {
        ref CpuState s = ref _cpu.S;
        // Flat 32-bit code and stack, no pending interrupt check, no single-stepping.
        if (_cpu.CheckIrq || s.Seg[Reg.Cs].Base != 0 || !s.Seg[Reg.Cs].Big || !s.Seg[Reg.Ss].Big || (s.Eflags & Fl.TF) != 0 || (s.Cr0 & 1) == 0) return false;
        uint eip = s.Eip;
        uint e = _cpu.TlbReadTable[eip >> 12];
        if ((e & 0xFFF) != 0) return false;
        ulong key = ((ulong)(e >> 12) << 32) | (eip >> 12);
        if (!_modules.TryGetValue(key, out var m) || !m.Blocks.TryGetValue(eip, out int block))
        {
            NoteEntry(key, e, eip, m);
            return false;
        }
        m.LastUse = ++_clock;
        Enter(m, block, end);
        return true;
    }

    private void NoteEntry(ulong key, uint physPage, uint eip, PageModule? existing)
    {
        if (!_candidates.TryGetValue(key, out var c))
        {
            c = (0, existing?.Entries is { } known ? new HashSet<uint>(known) : new HashSet<uint>());
        }
        c.Hits++;
        c.Entries.Add(eip);
        _candidates[key] = c;
        if (c.Hits >= HotThreshold)
        {
            _candidates.Remove(key);
            Compile(key, physPage, eip & 0xFFFFF000, c.Entries);
        }
    }

    private void Compile(ulong key, uint physPage, uint linearPage, HashSet<uint> entries)
    {
        if (physPage >= _mem.Size) return;
        var sw = Stopwatch.StartNew();
        var blocks = PageScanner.Scan(_mem.Ram + physPage, linearPage, entries);
        // A block that starts with an instruction the lowering leaves to the interpreter gains nothing.
        blocks.RemoveAll(b => b.Body.Count == 0 && b.End == BlockEnd.Interpret);
        if (blocks.Count == 0) return;
        var (bytes, index) = PageLowering.Lower(blocks);
        if (_modules.Remove(key, out var old)) old.Entry.Dispose();
        if (_modules.Count >= MaxModules) EvictOldest();
        _cpu.MarkCodePage(physPage >> 12);
        _modules[key] = new PageModule { Entry = _host.Load(bytes), Blocks = index, Entries = entries };
        ModulesCompiled++;
        CompileTime += sw.Elapsed;
    }

    private void EvictOldest()
    {
        var victim = _modules.MinBy(kv => kv.Value.LastUse);
        _modules.Remove(victim.Key);
        victim.Value.Entry.Dispose();
        ModulesDiscarded++;
    }

    /// <summary>Drops the modules compiled from a physical page (its code was written).</summary>
    private void Discard(uint physPage)
    {
        List<ulong>? gone = null;
        foreach (var key in _modules.Keys)
        {
            if (key >> 32 == physPage) (gone ??= new()).Add(key);
        }
        if (gone == null) return;
        foreach (var key in gone)
        {
            _modules.Remove(key, out var m);
            m!.Entry.Dispose();
            ModulesDiscarded++;
        }
    }

    private void Enter(PageModule m, int block, ulong end)
    {
        ref CpuState s = ref _cpu.S;
        JitStateMirror* st = _state;
        for (int r = 0; r < 8; r++) st->R[r] = s.R[r];
        _cpu.ExportLazyFlags(out uint op, out uint dst, out uint src, out uint res, out bool cf);
        st->Eflags = s.Eflags;
        st->LazyOp = op; st->LazyDst = dst; st->LazySrc = src; st->LazyRes = res; st->LazyCf = cf ? 1u : 0;
        st->Ram = WasmAddress(_mem.Ram);
        st->TlbRead = WasmAddress(_cpu.TlbReadTable);
        st->TlbWrite = WasmAddress(_cpu.TlbWriteTable);
        for (int i = 0; i < 6; i++) st->SegBase[i] = s.Seg[i].Base;
        st->Budget = (uint)Math.Min(end - _cpu.InstructionCount, int.MaxValue);
        st->Retired = 0;
        st->Entry = (uint)block;
        Entries++;
        m.Entry.Run(_stateAddr);
        for (int r = 0; r < 8; r++) s.R[r] = st->R[r];
        s.Eip = st->Eip;
        s.Eflags = st->Eflags;
        _cpu.ImportLazyFlags(st->LazyOp, st->LazyDst, st->LazySrc, st->LazyRes, st->LazyCf != 0);
        _cpu.InstructionCount += st->Retired;
        InstructionsInWasm += st->Retired;
        if ((JitExit)st->Exit == JitExit.Interpret) _interpretNext = true;
    }

    public void Dispose()
    {
        foreach (var m in _modules.Values) m.Entry.Dispose();
        _modules.Clear();
    }
}
