using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;
using Vm.Engine.Jit;

namespace Vm.Engine.Cpu;

public sealed unsafe partial class X86Cpu
{
    private bool _interruptShadow;
    /// <summary>Set when an interrupt could have become deliverable (port I/O, EFLAGS writes, new slice).</summary>
    internal bool CheckIrq = true;
    public Func<ulong>? TscSource { get; set; }

    /// <summary>Runs until about <paramref name="budget"/> instructions retired, a halt, or a stop.</summary>
    public void Run(long budget)
    {
        ulong end = InstructionCount + (ulong)budget;
        CheckIrq = true;
        while (InstructionCount < end && StopReason == null)
        {
            if (_interruptShadow)
            {
                _interruptShadow = false;
                CheckIrq = true;
            }
            else if (CheckIrq && IrqDeliverable())
            {
                CheckIrq = true;
                Halted = false;
                int vector = Pic!.Acknowledge();
                _instrStart = S.Eip;
                try
                {
                    DeliverInterrupt(vector, -1, S.Eip, false);
                }
                catch (CpuFault f)
                {
                    HandleFault(f);
                }
            }
            if (Halted) return;
            RunBlocks(end);
        }
    }

    /// <summary>
    /// Whether an external interrupt can be taken now. The answer can only change when the
    /// machine ticks devices (between Run calls), after port I/O, or when EFLAGS.IF is set,
    /// so the interpreter asks only then (CheckIrq), not before every block.
    /// </summary>
    private bool IrqDeliverable()
    {
        CheckIrq = false;
        return (S.Eflags & Fl.IF) != 0 && Pic != null && Pic.HasInterrupt;
    }

    /// <summary>Runs exactly one instruction (for tests and debugging).</summary>
    public void Step()
    {
        try
        {
            uint lin = S.Seg[Reg.Cs].Base + S.Eip;
            _linSrc ??= new LinearSource(this);
            _linSrc.Lin = lin;
            if (!Decoder.TryDecode(_linSrc, S.Seg[Reg.Cs].Big, out var ins)) throw new CpuFault(Vec.UD);
            _instrStart = S.Eip;
            S.Eip += ins.Len;
            InstructionCount++;
            HandlerFor(in ins)(this, in ins);
        }
        catch (CpuFault f)
        {
            HandleFault(f);
        }
    }

    private uint _instrStart;

    /// <summary>
    /// Runs decoded blocks back to back until the budget is used, or something needs the outer
    /// loop: an interrupt may have become deliverable, an interrupt shadow, a halt or a stop.
    /// </summary>
    private void RunBlocks(ulong end)
    {
        _instrStart = S.Eip; // a fault while fetching the block belongs to this EIP
        try
        {
            RunBlocksUnguarded(end);
        }
        catch (CpuFault f)
        {
            // The instructions before the faulting one in its block are not counted: the count
            // stays deterministic, and keeping the block at hand for this rare case cost a GC
            // write barrier per block.
            StopBlock = false;
            HandleFault(f);
        }
    }

    /// <summary>
    /// The hot loop, kept free of exception handling so the JIT keeps its locals in registers
    /// (with a try block around it, the index and <c>this</c> lived on the stack).
    /// </summary>
    private void RunBlocksUnguarded(ulong end)
    {
        _jitRunEnd = end;
        Block b = GetBlock();
        while (true)
        {
            CompiledBlock? compiled = b.Compiled;
            if (compiled != null || (_jitBackend != null && ++b.Hits == JitThreshold && (compiled = CompileHot(b)) != null))
            {
                // Compiled code keeps the loop's contract: S.Eip at the next instruction,
                // StopBlock when an instruction stopped the block, the count as counted here.
                int retired = compiled.Entry(this);
                bool stop = StopBlock;
                StopBlock = false;
                InstructionCount += (ulong)retired;
                JitCounters.CompiledRuns++;
                JitCounters.CompiledInstructions += (ulong)retired;
                if (stop || CheckIrq || _interruptShadow || Halted || InstructionCount >= end || StopReason != null) return;
                _instrStart = S.Eip;
                b = NextBlock(b);
                continue;
            }
            Slot[] code = b.Code;
            uint eip = S.Eip;
            int last = b.Last;
            ref Slot s = ref MemoryMarshal.GetArrayDataReference(code);
            bool stopped = false;
            int k = 0;
            // Only the last instruction of a block reads or changes EIP (control transfers end
            // blocks), so S.Eip is written before it, or when an instruction stops the block;
            // _instrStart is all a fault needs.
            for (; k < last; k++)
            {
                _instrStart = eip;
                eip += s.I.Len;
                ((delegate*<X86Cpu, in Instr, void>)s.Fn)(this, in s.I);
                if (StopBlock)
                {
                    S.Eip = eip - StopRewind;
                    StopRewind = 0;
                    stopped = true;
                    break;
                }
                s = ref Unsafe.Add(ref s, 1);
            }
            if (!stopped)
            {
                _instrStart = eip;
                S.Eip = eip + s.I.Len;
                ((delegate*<X86Cpu, in Instr, void>)s.Fn)(this, in s.I);
                stopped = StopBlock;
                if (stopped && StopRewind != 0)
                {
                    S.Eip -= StopRewind;
                    StopRewind = 0;
                }
            }
            StopBlock = false;
            InstructionCount += (ulong)(k == last ? k + 1 + b.Fused : k + 1);
            if (stopped || CheckIrq || _interruptShadow || Halted || InstructionCount >= end || StopReason != null) return;
            _instrStart = S.Eip;
            b = NextBlock(b);
        }
    }

    public int LastFaultVector = -1;
    public long FaultCount;

    private void HandleFault(CpuFault f)
    {
        FaultCount++;
        LastFaultVector = f.Vector;
        S.Eip = _instrStart;
        try
        {
            DeliverInterrupt(f.Vector, f.ErrorCode, S.Eip, false);
        }
        catch (CpuFault f2)
        {
            if (f.Vector == Vec.DF)
            {
                StopReason = "triple fault";
                return;
            }
            try
            {
                DeliverInterrupt(Vec.DF, 0, S.Eip, false);
            }
            catch (CpuFault)
            {
                StopReason = $"triple fault (exception {f.Vector}, then {f2.Vector})";
            }
        }
    }

    // =====================================================================================
    // Interrupt and exception delivery (SDM vol. 3 §6.12)
    // =====================================================================================

    /// <summary>Delivers vector through the IDT. software = INT n (gate DPL checked).</summary>
    internal void DeliverInterrupt(int vector, int errorCode, uint returnEip, bool software)
    {
        MaterializeFlags();
        Halted = false;
        if ((S.Cr0 & 1) == 0)
        {
            // Real mode: IVT at IDT base, push FLAGS, CS, IP.
            uint ent = Read32(S.IdtBase + (uint)vector * 4);
            Push16((ushort)S.Eflags);
            Push16(S.Seg[Reg.Cs].Selector);
            Push16((ushort)returnEip);
            S.Eflags &= ~(Fl.IF | Fl.TF | Fl.AC);
            LoadSegReal(Reg.Cs, (ushort)(ent >> 16));
            S.Eip = ent & 0xFFFF;
            return;
        }
        int idtErr = vector * 8 + 2 + (software ? 0 : 1);
        if ((uint)vector * 8 + 7 > S.IdtLimit) throw new CpuFault(Vec.GP, idtErr);
        uint lo = ReadSys32(S.IdtBase + (uint)vector * 8);
        uint hi = ReadSys32(S.IdtBase + (uint)vector * 8 + 4);
        int type = (int)(hi >> 8) & 0x1F;
        int gateDpl = (int)(hi >> 13) & 3;
        if (software && gateDpl < S.Cpl) throw new CpuFault(Vec.GP, vector * 8 + 2);
        if ((hi & 0x8000) == 0) throw new CpuFault(Vec.NP, idtErr);
        bool is32 = (type & 8) != 0;
        bool trapGate;
        switch (type & 7)
        {
            case 6: trapGate = false; break;
            case 7: trapGate = true; break;
            default:
                throw new CpuFault(Vec.GP, idtErr); // task gates are not supported
        }
        ushort sel = (ushort)(lo >> 16);
        uint offset = (hi & 0xFFFF0000) | (lo & 0xFFFF);
        if ((sel & 0xFFFC) == 0) throw new CpuFault(Vec.GP, 0);
        ReadDescriptor(sel, out uint dlo, out uint dhi);
        int dpl = (int)(dhi >> 13) & 3;
        if ((dhi & 0x1800) != 0x1800 || dpl > S.Cpl) throw new CpuFault(Vec.GP, sel & 0xFFFC);
        if ((dhi & 0x8000) == 0) throw new CpuFault(Vec.NP, sel & 0xFFFC);
        bool conforming = (dhi & 0x400) != 0;
        uint eflags = S.Eflags;
        ushort oldCs = S.Seg[Reg.Cs].Selector;
        int oldCpl = S.Cpl;
        if (!conforming && dpl < S.Cpl)
        {
            // Inter-privilege: new stack from the TSS (32-bit TSS: ESP0 at 4, SS0 at 8).
            uint tssOff = (uint)dpl * 8 + 4;
            uint newEsp = ReadSys32(S.Tr.Base + tssOff);
            ushort newSs = (ushort)ReadSys32(S.Tr.Base + tssOff + 4);
            ushort oldSs = S.Seg[Reg.Ss].Selector;
            uint oldEsp = S.R[Reg.Esp];
            ReadDescriptor(newSs, out uint slo, out uint shi);
            SetCpl(dpl);
            LoadSegFromDescriptor(Reg.Ss, (ushort)((newSs & 0xFFFC) | dpl), slo, shi);
            S.R[Reg.Esp] = newEsp;
            int sz = is32 ? 2 : 1;
            try
            {
                PushSz(oldSs, sz);
                PushSz(oldEsp, sz);
            }
            catch
            {
                SetCpl(oldCpl);
                throw;
            }
            if ((eflags & Fl.VM) != 0) throw new CpuFault(Vec.GP, 0);
        }
        else
        {
            dpl = S.Cpl;
        }
        int psz = is32 ? 2 : 1;
        PushSz(eflags, psz);
        PushSz(oldCs, psz);
        PushSz(returnEip, psz);
        if (errorCode >= 0) PushSz((uint)errorCode, psz);
        LoadSegFromDescriptor(Reg.Cs, (ushort)((sel & 0xFFFC) | dpl), dlo, dhi);
        SetCpl(dpl);
        S.Eip = is32 ? offset : offset & 0xFFFF;
        S.Eflags &= ~(Fl.TF | Fl.NT | Fl.RF | Fl.VM);
        if (!trapGate) S.Eflags &= ~Fl.IF;
    }

    private void Iret(bool o16)
    {
        int sz = o16 ? 1 : 2;
        if ((S.Cr0 & 1) == 0)
        {
            uint ip = PopSz(sz), cs = PopSz(sz), fl = PopSz(sz);
            LoadSegReal(Reg.Cs, (ushort)cs);
            S.Eip = ip;
            WriteEflags(fl, o16 ? 0xFFFF : 0xFFFFFFFF & ~Fl.VM);
            return;
        }
        if ((S.Eflags & Fl.NT) != 0) throw new CpuFault(Vec.GP, 0); // no task switching
        uint sp = S.R[Reg.Esp];
        uint eip = PopSz(sz);
        ushort sel = (ushort)PopSz(sz);
        uint flags = PopSz(sz);
        if ((sel & 0xFFFC) == 0) { S.R[Reg.Esp] = sp; throw new CpuFault(Vec.GP, 0); }
        int rpl = sel & 3;
        if (rpl < S.Cpl) { S.R[Reg.Esp] = sp; throw new CpuFault(Vec.GP, sel & 0xFFFC); }
        ReadDescriptor(sel, out uint lo, out uint hi);
        if ((hi & 0x1800) != 0x1800) { S.R[Reg.Esp] = sp; throw new CpuFault(Vec.GP, sel & 0xFFFC); }
        if ((hi & 0x8000) == 0) { S.R[Reg.Esp] = sp; throw new CpuFault(Vec.NP, sel & 0xFFFC); }
        uint mask = PopfMask(o16) | Fl.RF;
        if (S.Cpl == 0) mask |= Fl.VM;
        if (rpl > S.Cpl)
        {
            uint newEsp = PopSz(sz);
            ushort newSs = (ushort)PopSz(sz);
            ReadDescriptor(newSs, out uint slo, out uint shi);
            WriteEflags(flags, mask);
            LoadSegFromDescriptor(Reg.Cs, sel, lo, hi);
            SetCpl(rpl);
            LoadSegFromDescriptor(Reg.Ss, newSs, slo, shi);
            S.R[Reg.Esp] = newEsp;
            // Data segments more privileged than the new CPL become null (SDM IRET pseudo-code).
            foreach (int s in new[] { Reg.Es, Reg.Ds, Reg.Fs, Reg.Gs })
            {
                ref var seg = ref S.Seg[s];
                bool codeConforming = (seg.Access & 0x1C) == 0x1C;
                if (!codeConforming && seg.Dpl < rpl && (seg.Selector & 0xFFFC) != 0)
                {
                    seg.Selector = 0; seg.Base = 0; seg.Limit = 0; seg.Access = 0; seg.Classify();
                }
            }
        }
        else
        {
            WriteEflags(flags, mask);
            LoadSegFromDescriptor(Reg.Cs, sel, lo, hi);
        }
        S.Eip = o16 ? eip & 0xFFFF : eip;
    }

    // =====================================================================================
    // Segments
    // =====================================================================================

    internal void ReadDescriptor(ushort sel, out uint lo, out uint hi)
    {
        uint tableBase, tableLimit;
        if ((sel & 4) != 0) { tableBase = S.Ldtr.Base; tableLimit = S.Ldtr.Limit; }
        else { tableBase = S.GdtBase; tableLimit = S.GdtLimit; }
        uint off = (uint)(sel & 0xFFF8);
        if (off + 7 > tableLimit) throw new CpuFault(Vec.GP, sel & 0xFFFC);
        lo = ReadSys32(tableBase + off);
        hi = ReadSys32(tableBase + off + 4);
    }

    internal static uint DescBase(uint lo, uint hi) => (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000);

    internal static uint DescLimit(uint lo, uint hi)
    {
        uint l = (lo & 0xFFFF) | (hi & 0xF0000);
        return (hi & 0x800000) != 0 ? (l << 12) | 0xFFF : l;
    }

    internal void LoadSegFromDescriptor(int s, ushort sel, uint lo, uint hi)
    {
        ref var seg = ref S.Seg[s];
        seg.Selector = sel;
        seg.Base = DescBase(lo, hi);
        seg.Limit = DescLimit(lo, hi);
        seg.Access = (byte)(hi >> 8);
        seg.Big = (hi & 0x400000) != 0;
        seg.Classify();
    }

    internal void LoadSegReal(int s, ushort sel)
    {
        ref var seg = ref S.Seg[s];
        seg.Selector = sel;
        seg.Base = (uint)sel << 4;
        if (s == Reg.Cs) { seg.Big = false; }
    }

    /// <summary>MOV/POP/LxS to a data or stack segment register.</summary>
    internal void LoadSegment(int s, ushort sel)
    {
        if ((S.Cr0 & 1) == 0 || (S.Eflags & Fl.VM) != 0)
        {
            LoadSegReal(s, sel);
            return;
        }
        if ((sel & 0xFFFC) == 0)
        {
            if (s == Reg.Ss) throw new CpuFault(Vec.GP, 0);
            ref var seg = ref S.Seg[s];
            seg.Selector = sel; seg.Base = 0; seg.Limit = 0; seg.Access = 0; seg.Big = false; seg.Classify();
            return;
        }
        ReadDescriptor(sel, out uint lo, out uint hi);
        int dpl = (int)(hi >> 13) & 3;
        int rpl = sel & 3;
        if (s == Reg.Ss)
        {
            // Writable data segment with RPL = DPL = CPL.
            if ((hi & 0x1A00) != 0x1200 || rpl != S.Cpl || dpl != S.Cpl) throw new CpuFault(Vec.GP, sel & 0xFFFC);
            if ((hi & 0x8000) == 0) throw new CpuFault(Vec.SS, sel & 0xFFFC);
        }
        else
        {
            // Data or readable code segment; non-conforming needs max(CPL, RPL) <= DPL.
            if ((hi & 0x1000) == 0 || (hi & 0xA00) == 0x800) throw new CpuFault(Vec.GP, sel & 0xFFFC);
            bool conformingCode = (hi & 0xC00) == 0xC00;
            if (!conformingCode && (rpl > dpl || S.Cpl > dpl)) throw new CpuFault(Vec.GP, sel & 0xFFFC);
            if ((hi & 0x8000) == 0) throw new CpuFault(Vec.NP, sel & 0xFFFC);
        }
        LoadSegFromDescriptor(s, sel, lo, hi);
    }

    /// <summary>Far JMP/CALL target: a code segment at the same privilege (no call gates).</summary>
    internal void LoadCsFar(ushort sel, uint eip)
    {
        if ((S.Cr0 & 1) == 0 || (S.Eflags & Fl.VM) != 0)
        {
            LoadSegReal(Reg.Cs, sel);
            S.Eip = eip & 0xFFFF;
            return;
        }
        if ((sel & 0xFFFC) == 0) throw new CpuFault(Vec.GP, 0);
        ReadDescriptor(sel, out uint lo, out uint hi);
        if ((hi & 0x1800) != 0x1800) throw new CpuFault(Vec.GP, sel & 0xFFFC);
        if ((hi & 0x8000) == 0) throw new CpuFault(Vec.NP, sel & 0xFFFC);
        LoadSegFromDescriptor(Reg.Cs, (ushort)((sel & 0xFFFC) | S.Cpl), lo, hi);
        S.Eip = S.Seg[Reg.Cs].Big ? eip : eip & 0xFFFF;
    }

    // =====================================================================================
    // Stack
    // =====================================================================================

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Push32(uint v)
    {
        if (S.Seg[Reg.Ss].Big)
        {
            uint esp = S.R[Reg.Esp] - 4;
            if (S.Seg[Reg.Ss].Check != Segment.Flat) CheckSegment(Reg.Ss, esp, 4);
            Write32(S.Seg[Reg.Ss].Base + esp, v);
            S.R[Reg.Esp] = esp;
        }
        else
        {
            PushSlow(v, 2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Pop32()
    {
        if (S.Seg[Reg.Ss].Big)
        {
            uint esp = S.R[Reg.Esp];
            if (S.Seg[Reg.Ss].Check != Segment.Flat) CheckSegment(Reg.Ss, esp, 4);
            uint v = Read32(S.Seg[Reg.Ss].Base + esp);
            S.R[Reg.Esp] = esp + 4;
            return v;
        }
        return PopSlow(2);
    }

    internal void Push16(uint v) => PushSlow(v, 1);

    internal void PushSz(uint v, int sz)
    {
        if (sz == 2) Push32(v); else PushSlow(v, 1);
    }

    internal uint PopSz(int sz) => sz == 2 ? Pop32() : PopSlow(1);

    private void PushSlow(uint v, int sz)
    {
        uint n = sz == 2 ? 4u : 2u;
        uint esp = S.R[Reg.Esp] - n;
        if (S.Seg[Reg.Ss].Check != Segment.Flat) CheckSegment(Reg.Ss, S.Seg[Reg.Ss].Big ? esp : esp & 0xFFFF, n);
        if (S.Seg[Reg.Ss].Big)
        {
            WriteSz(S.Seg[Reg.Ss].Base + esp, sz, v);
            S.R[Reg.Esp] = esp;
        }
        else
        {
            WriteSz(S.Seg[Reg.Ss].Base + (esp & 0xFFFF), sz, v);
            S.R[Reg.Esp] = (S.R[Reg.Esp] & 0xFFFF0000) | (esp & 0xFFFF);
        }
    }

    private uint PopSlow(int sz)
    {
        uint n = sz == 2 ? 4u : 2u;
        uint esp = S.R[Reg.Esp];
        if (S.Seg[Reg.Ss].Check != Segment.Flat) CheckSegment(Reg.Ss, S.Seg[Reg.Ss].Big ? esp : esp & 0xFFFF, n);
        if (S.Seg[Reg.Ss].Big)
        {
            uint v = ReadSz(S.Seg[Reg.Ss].Base + esp, sz);
            S.R[Reg.Esp] = esp + n;
            return v;
        }
        uint w = ReadSz(S.Seg[Reg.Ss].Base + (esp & 0xFFFF), sz);
        S.R[Reg.Esp] = (esp & 0xFFFF0000) | ((esp + n) & 0xFFFF);
        return w;
    }

    /// <summary>Reads the stack at ESP + offset without popping (for RET imm and far returns).</summary>
    internal uint StackPeek(uint offset, int sz)
    {
        uint esp = S.R[Reg.Esp] + offset;
        if (!S.Seg[Reg.Ss].Big) esp &= 0xFFFF;
        return ReadSz(S.Seg[Reg.Ss].Base + esp, sz);
    }

    internal void AddEsp(uint n)
    {
        if (S.Seg[Reg.Ss].Big) S.R[Reg.Esp] += n;
        else S.R[Reg.Esp] = (S.R[Reg.Esp] & 0xFFFF0000) | ((S.R[Reg.Esp] + n) & 0xFFFF);
    }
}

public sealed unsafe partial class X86Cpu
{
    /// <summary>Debugging aid: reads guest linear memory without side effects beyond TLB fills; null on a fault.</summary>
    public byte[]? PeekLinear(uint lin, int n)
    {
        var r = new byte[n];
        try
        {
            for (int k = 0; k < n; k++) r[k] = _mem.Read8(Translate(lin + (uint)k, false, false));
        }
        catch (CpuFault)
        {
            return null;
        }
        return r;
    }
}
