using System.Reflection.Emit;
using Vm.Engine.Cpu;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;
using Vm.Engine.Jit.Frontend;
using F = Vm.Engine.Jit.Il.GuestStateFields;

namespace Vm.Engine.Jit.Il;

/// <summary>
/// Emits one region's CIL (<see cref="JitRegion"/>: a hot block and the blocks it branches to
/// in its page, each with its own label; branches between them stay inside the method). The
/// guest registers the native ops touch live in locals (<see cref="RegionRegisters"/>): loaded at
/// entry and after handler calls, stored back to S before handler calls, on the slow memory
/// paths (the only places a fault can come from), and at every exit. EIP is relative to the block's entry
/// EIP (local e0), as the interpreter computes it; _instrStart is written only before ops
/// that can fault; S.Eip before the last op, or at an early exit.
/// </summary>
internal sealed unsafe class IlBlockEmitter(ILGenerator il, JitRegion region, byte* ram, Instr*[] regionInstrs, JitProfile? profile, bool registerLocals)
{
    private LocalBuilder _e0 = null!, _sp = null!, _lin = null!, _ent = null!, _v = null!, _a = null!, _b = null!, _r = null!, _cf = null!, _gen = null!, _count = null!, _next = null!, _product = null!;
    /// <summary>The block being emitted, and its pinned instruction copies.</summary>
    private JitBlock block = null!;
    private Instr* instrs;
    private Label[] _starts = [];
    /// <summary>Per instruction count: code that returns it (an exit after a whole block).</summary>
    private readonly Dictionary<int, Label> _exits = new();

    /// <summary>The guest registers in locals (by register number; null when the region's native ops never touch it).</summary>
    /// <summary>A scratch local for register stores without register locals.</summary>
    private LocalBuilder _v0 = null!;
    private readonly LocalBuilder?[] _reg = new LocalBuilder?[8];
    private RegionRegisters _regs;
    /// <summary>Registers whose local is ahead of S at the point being emitted (a superset).</summary>
    private uint _dirty;

    /// <summary>How many chain sites the code has: <see cref="RegionEntry.Sites"/> must hold that many.</summary>
    public int ChainSites { get; private set; }

    public void Emit()
    {
        _e0 = il.DeclareLocal(typeof(uint));
        _lin = il.DeclareLocal(typeof(uint));
        _sp = il.DeclareLocal(typeof(uint));
        _ent = il.DeclareLocal(typeof(uint));
        _v = il.DeclareLocal(typeof(uint));
        _a = il.DeclareLocal(typeof(uint));
        _b = il.DeclareLocal(typeof(uint));
        _r = il.DeclareLocal(typeof(uint));
        _cf = il.DeclareLocal(typeof(bool));
        _gen = il.DeclareLocal(typeof(uint));
        _count = il.DeclareLocal(typeof(ulong));
        _next = il.DeclareLocal(typeof(JitEntry));
        _product = il.DeclareLocal(typeof(long));
        _v0 = il.DeclareLocal(typeof(uint));
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldflda, F.S);
        il.Emit(OpCodes.Ldfld, F.Eip);
        il.Emit(OpCodes.Stloc, _e0);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, F.TlbGeneration);
        il.Emit(OpCodes.Stloc, _gen);
        if (registerLocals) _regs = RegionRegisters.Of(region);
        for (int r = 0; r < 8; r++)
            if ((_regs.Used & (1u << r)) != 0) _reg[r] = il.DeclareLocal(typeof(uint));
        ReloadRegs();
        _starts = new Label[region.Blocks.Count];
        for (int b = 0; b < _starts.Length; b++) _starts[b] = il.DefineLabel();
        if (_starts.Length > 1) EmitEntryDispatch();
        for (int b = 0; b < _starts.Length; b++)
        {
            block = region.Blocks[b];
            instrs = regionInstrs[b];
            il.MarkLabel(_starts[b]);
            // Reached from the entry or any block of the region: any written register may be ahead of S.
            _dirty = _regs.Written;
            EmitBlock();
        }
        foreach (var (count, label) in _exits)
        {
            il.MarkLabel(label);
            FlushRegs(_regs.Written);
            il.Emit(OpCodes.Ldc_I4, count);
            il.Emit(OpCodes.Ret);
        }
    }

    /// <summary>
    /// Entered at another block of the region (<see cref="RegionEntry.Index"/>): S.Eip is that
    /// block's start, so the head's EIP, which all offsets are relative to, is that much before.
    /// </summary>
    private void EmitEntryDispatch()
    {
        var others = new Label[_starts.Length];
        others[0] = _starts[0];
        for (int b = 1; b < others.Length; b++) others[b] = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, typeof(RegionEntry).GetField(nameof(RegionEntry.Index))!);
        il.Emit(OpCodes.Switch, others);
        il.Emit(OpCodes.Br, _starts[0]);
        for (int b = 1; b < others.Length; b++)
        {
            il.MarkLabel(others[b]);
            il.Emit(OpCodes.Ldloc, _e0);
            il.Emit(OpCodes.Ldc_I4, region.Blocks[b].StartOffset);
            il.Emit(OpCodes.Sub);
            il.Emit(OpCodes.Stloc, _e0);
            il.Emit(OpCodes.Br, _starts[b]);
        }
    }

    private void EmitBlock()
    {
        JitInstr[] ops = block.Ops;
        int last = ops.Length - 1;
        for (int k = 0; k <= last; k++)
        {
            ref readonly JitInstr op = ref ops[k];
            if (op.MayExit) StoreInstrStart(op.Offset);
            if (k == last) StoreEip(op.End);
            if (profile != null) EmitCount(in op);
            if (k == last)
            {
                EmitBlockEnd(in op, k);
                return;
            }
            EmitOp(in op, k, false);
            if (op.Stores) EmitStopCheck(in op, k);
        }
    }

    /// <summary>The last op, then on to its successor: inside the region when it is there, else back to the run loop.</summary>
    private void EmitBlockEnd(in JitInstr op, int k)
    {
        switch (op.Op)
        {
            case JitOp.Jcc:
            {
                var notTaken = il.DefineLabel();
                EmitCondition(in op);
                il.Emit(OpCodes.Brfalse, notTaken);
                StoreEip(op.End + op.Imm);
                EmitEdge(op.End + op.Imm);
                il.MarkLabel(notTaken);
                EmitEdge(op.End);
                return;
            }
            case JitOp.Jmp:
                StoreEip(op.End + op.Imm);
                EmitEdge(op.End + op.Imm);
                return;
            case JitOp.CallRel:
                EmitOp(in op, k, true);
                EmitEdge(op.End + op.Imm);
                return;
            default:
                EmitOp(in op, k, true);
                if (JitRegion.FallsThrough(block)) EmitEdge(op.End);
                else EmitChain();
                return;
        }
    }

    /// <summary>
    /// The block is done and its successor is outside the region: on to that block's compiled
    /// code when the run loop would have gone there (<c>X86Cpu.JitChain</c> checks and counts),
    /// as a tail call from this site; else back to the run loop.
    /// </summary>
    private void EmitChain()
    {
        var back = il.DefineLabel();
        FlushRegs(_dirty);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4, block.InstructionCount);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, F.RegionSites);
        il.Emit(OpCodes.Ldc_I4, ChainSites++);
        il.Emit(OpCodes.Ldelema, typeof(ChainSite));
        il.Emit(OpCodes.Call, F.JitChain);
        il.Emit(OpCodes.Stloc, _next);
        il.Emit(OpCodes.Ldloc, _next);
        il.Emit(OpCodes.Brfalse, back);
        il.Emit(OpCodes.Ldloc, _next);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Tailcall);
        il.Emit(OpCodes.Callvirt, F.JitEntryInvoke);
        il.Emit(OpCodes.Ret);
        il.MarkLabel(back);
        il.Emit(OpCodes.Br, ExitAfterBlock());
    }

    private Label ExitAfterBlock()
    {
        int n = block.InstructionCount;
        if (!_exits.TryGetValue(n, out var label)) _exits[n] = label = il.DefineLabel();
        return label;
    }

    /// <summary>
    /// The block is done and S.Eip is at <paramref name="target"/> (bytes from the entry). A
    /// target in the region runs next when the run loop would have gone on to it: no stop, no
    /// interrupt check asked for, no interrupt shadow, halt or stop reason, the TLB unchanged
    /// (the link would have been dropped), budget left. The finished block is counted here (so
    /// a fault in the next leaves the count the interpreter's); else the run loop counts it.
    /// </summary>
    private void EmitEdge(int target)
    {
        Label exit = ExitAfterBlock();
        int index = region.IndexAt(target);
        if (index < 0)
        {
            EmitChain();
            return;
        }
        foreach (var flag in new[] { F.StopBlock, F.CheckIrq, F.InterruptShadow, F.Halted })
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, flag);
            il.Emit(OpCodes.Brtrue, exit);
        }
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, F.StopReason);
        il.Emit(OpCodes.Brtrue, exit);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, F.TlbGeneration);
        il.Emit(OpCodes.Ldloc, _gen);
        il.Emit(OpCodes.Bne_Un, exit);
        // InstructionCount += n, unless that uses the budget (the run loop then stops).
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, F.InstructionCount);
        il.Emit(OpCodes.Ldc_I4, block.InstructionCount);
        il.Emit(OpCodes.Conv_I8);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _count);
        il.Emit(OpCodes.Ldloc, _count);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, F.RunEnd);
        il.Emit(OpCodes.Bge_Un, exit);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldloc, _count);
        il.Emit(OpCodes.Stfld, F.InstructionCount);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldflda, F.JitCounters);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Ldfld, F.CompiledInstructions);
        il.Emit(OpCodes.Ldc_I4, block.InstructionCount);
        il.Emit(OpCodes.Conv_I8);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stfld, F.CompiledInstructions);
        il.Emit(OpCodes.Br, _starts[index]);
    }

    private void EmitOp(in JitInstr op, int k, bool isLast)
    {
        switch (op.Op)
        {
            case JitOp.MovRegImm:
                il.Emit(OpCodes.Ldc_I4, op.Imm);
                SetReg(op.Dst);
                break;
            case JitOp.MovRegReg:
                LoadReg(op.Src);
                SetReg(op.Dst);
                break;
            case JitOp.Lea:
                EmitOffset(op.Addr);
                SetReg(op.Dst);
                break;
            case JitOp.Load32:
                EmitLinear(op.Addr);
                EmitRead32();
                il.Emit(OpCodes.Ldloc, _v);
                SetReg(op.Dst);
                break;
            case JitOp.Store32:
            case JitOp.Store32Imm:
                EmitLinear(op.Addr);
                if (op.Op == JitOp.Store32) LoadReg(op.Src); else il.Emit(OpCodes.Ldc_I4, op.Imm);
                il.Emit(OpCodes.Stloc, _v);
                EmitWrite32();
                break;
            case JitOp.AluRegReg:
            case JitOp.AluRegImm:
            case JitOp.AluRegMem:
                EmitAlu(in op);
                break;
            case JitOp.Inc:
            case JitOp.Dec:
                EmitIncDec(in op);
                break;
            case JitOp.AluMemReg:
            case JitOp.AluMemImm:
                EmitAluMem(in op);
                break;
            case JitOp.ShiftImm:
                EmitShift(in op);
                break;
            case JitOp.Load8Zx:
            case JitOp.Load16Zx:
                EmitLinear(op.Addr);
                EmitRead(op.Op == JitOp.Load8Zx ? 1 : 2);
                il.Emit(OpCodes.Ldloc, _v);
                SetReg(op.Dst);
                break;
            case JitOp.MovzxReg8:
                LoadReg(op.Src & 3);
                if (op.Src >= 4) { il.Emit(OpCodes.Ldc_I4_8); il.Emit(OpCodes.Shr_Un); }
                il.Emit(OpCodes.Ldc_I4, 0xFF);
                il.Emit(OpCodes.And);
                SetReg(op.Dst);
                break;
            case JitOp.Load8:
                EmitLinear(op.Addr);
                EmitRead(1);
                StoreReg8(op.Dst, _v);
                break;
            case JitOp.Store8:
                EmitLinear(op.Addr);
                LoadReg8(op.Src);
                il.Emit(OpCodes.Stloc, _v);
                EmitWrite(1);
                break;
            case JitOp.Cmp8:
            case JitOp.Test8:
                EmitCmp8(in op);
                break;
            case JitOp.ImulRegReg:
            case JitOp.ImulRegImm:
                EmitImul(in op);
                break;
            case JitOp.Load16:
                EmitLinear(op.Addr);
                EmitRead(2);
                LoadReg(op.Dst);
                il.Emit(OpCodes.Ldc_I4, unchecked((int)0xFFFF0000));
                il.Emit(OpCodes.And);
                il.Emit(OpCodes.Ldloc, _v);
                il.Emit(OpCodes.Or);
                SetReg(op.Dst);
                break;
            case JitOp.Store16:
                EmitLinear(op.Addr);
                LoadReg(op.Src);
                il.Emit(OpCodes.Ldc_I4, 0xFFFF);
                il.Emit(OpCodes.And);
                il.Emit(OpCodes.Stloc, _v);
                EmitWrite(2);
                break;
            case JitOp.MovzxReg16:
                LoadReg(op.Src);
                il.Emit(OpCodes.Ldc_I4, 0xFFFF);
                il.Emit(OpCodes.And);
                SetReg(op.Dst);
                break;
            case JitOp.Jcc:
            {
                var skip = il.DefineLabel();
                EmitCondition(in op);
                il.Emit(OpCodes.Brfalse, skip);
                StoreEip(op.End + op.Imm);
                il.MarkLabel(skip);
                break;
            }
            case JitOp.Jmp:
                StoreEip(op.End + op.Imm);
                break;
            case JitOp.Push32:
            {
                int src = op.Src;
                WithBigStack(in op, k, isLast, () => { LoadReg(src); il.Emit(OpCodes.Stloc, _v); EmitPushV(); });
                break;
            }
            case JitOp.PushImm:
            {
                int imm = op.Imm;
                WithBigStack(in op, k, isLast, () => { il.Emit(OpCodes.Ldc_I4, imm); il.Emit(OpCodes.Stloc, _v); EmitPushV(); });
                break;
            }
            case JitOp.Pop32:
            {
                int dst = op.Dst;
                WithBigStack(in op, k, isLast, () => { EmitPopV(); il.Emit(OpCodes.Ldloc, _v); SetReg(dst); });
                break;
            }
            case JitOp.CallRel:
            {
                int end = op.End, target = op.End + op.Imm;
                WithBigStack(in op, k, isLast, () => { EmitE0Plus(end); il.Emit(OpCodes.Stloc, _v); EmitPushV(); StoreEip(target); });
                break;
            }
            case JitOp.Ret:
                WithBigStack(in op, k, isLast, () =>
                {
                    EmitPopV();
                    il.Emit(OpCodes.Ldarg_1);
                    il.Emit(OpCodes.Ldflda, F.S);
                    il.Emit(OpCodes.Ldloc, _v);
                    il.Emit(OpCodes.Stfld, F.Eip);
                });
                break;
            default:
                EmitHandlerCall(in op, k, isLast);
                break;
        }
    }

    /// <summary>Adds one to the op's profile counter (only when profiling).</summary>
    private void EmitCount(in JitInstr op)
    {
        long* counter;
        fixed (long* h = profile!.HandlerCalls) fixed (long* n = profile.NativeOps)
        {
            counter = op.Op == JitOp.CallHandler ? h + block.InstrAt(op.Slot).Op : n + (int)op.Op;
        }
        il.Emit(OpCodes.Ldc_I8, (long)counter);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Ldind_I8);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Conv_I8);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stind_I8);
    }

    // ---- guest state ----

    /// <summary>Pushes a managed reference to R[r].</summary>
    private void RegRef(int r)
    {
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldflda, F.S);
        il.Emit(OpCodes.Ldflda, F.R);
        il.Emit(OpCodes.Ldflda, F.RegsFirst);
        if (r != 0)
        {
            il.Emit(OpCodes.Ldc_I4, r * 4);
            il.Emit(OpCodes.Add);
        }
    }

    /// <summary>Pushes 8-bit register r (0-3: low bytes of EAX..EBX, 4-7: their second bytes), zero-extended.</summary>
    private void LoadReg8(int r)
    {
        LoadReg(r & 3);
        if (r >= 4) { il.Emit(OpCodes.Ldc_I4_8); il.Emit(OpCodes.Shr_Un); }
        il.Emit(OpCodes.Ldc_I4, 0xFF);
        il.Emit(OpCodes.And);
    }

    /// <summary>8-bit register r = the low byte of local v; the register's other bytes kept.</summary>
    private void StoreReg8(int r, LocalBuilder v)
    {
        int shift = r >= 4 ? 8 : 0;
        LoadReg(r & 3);
        il.Emit(OpCodes.Ldc_I4, ~(0xFF << shift));
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Ldloc, v);
        il.Emit(OpCodes.Ldc_I4, 0xFF);
        il.Emit(OpCodes.And);
        if (shift != 0) { il.Emit(OpCodes.Ldc_I4_8); il.Emit(OpCodes.Shl); }
        il.Emit(OpCodes.Or);
        SetReg(r & 3);
    }

    /// <summary>Pushes register r: its local within the region.</summary>
    private void LoadReg(int r)
    {
        if (!registerLocals)
        {
            RegRef(r);
            il.Emit(OpCodes.Ldind_U4);
            return;
        }
        if ((_regs.Used & (1u << r)) == 0) throw new InvalidOperationException($"register {r} read but not in the region's set");
        il.Emit(OpCodes.Ldloc, _reg[r]!);
    }

    /// <summary>Register r = the value on the stack: in its local, written back to S at the next flush.</summary>
    private void SetReg(int r)
    {
        if (!registerLocals)
        {
            il.Emit(OpCodes.Stloc, _v0);
            RegRef(r);
            il.Emit(OpCodes.Ldloc, _v0);
            il.Emit(OpCodes.Stind_I4);
            return;
        }
        if ((_regs.Written & (1u << r)) == 0) throw new InvalidOperationException($"register {r} written but not in the region's set");
        il.Emit(OpCodes.Stloc, _reg[r]!);
        _dirty |= 1u << r;
    }

    /// <summary>S.R[r] = the local, for each register in mask (before code that may read S or fault, and at exits).</summary>
    private void FlushRegs(uint mask)
    {
        for (int r = 0; r < 8; r++)
        {
            if ((mask & (1u << r)) == 0) continue;
            RegRef(r);
            il.Emit(OpCodes.Ldloc, _reg[r]!);
            il.Emit(OpCodes.Stind_I4);
        }
    }

    /// <summary>The locals = S.R, for the region's registers (at entry, and after a handler, which may have written any).</summary>
    private void ReloadRegs()
    {
        for (int r = 0; r < 8; r++)
        {
            if ((_regs.Used & (1u << r)) == 0) continue;
            RegRef(r);
            il.Emit(OpCodes.Ldind_U4);
            il.Emit(OpCodes.Stloc, _reg[r]!);
        }
        _dirty = 0;
    }

    private void StoreInstrStart(int offset)
    {
        il.Emit(OpCodes.Ldarg_1);
        EmitE0Plus(offset);
        il.Emit(OpCodes.Stfld, F.InstrStart);
    }

    private void StoreEip(int offset)
    {
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldflda, F.S);
        EmitE0Plus(offset);
        il.Emit(OpCodes.Stfld, F.Eip);
    }

    private void EmitE0Plus(int offset)
    {
        il.Emit(OpCodes.Ldloc, _e0);
        if (offset != 0)
        {
            il.Emit(OpCodes.Ldc_I4, offset);
            il.Emit(OpCodes.Add);
        }
    }

    /// <summary>Leaves the block after op k when StopBlock is set (a handler or a code write stopped it).</summary>
    private void EmitStopCheck(in JitInstr op, int k)
    {
        var go = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, F.StopBlock);
        il.Emit(OpCodes.Brfalse, go);
        FlushRegs(_dirty);
        StoreEip(op.End);
        il.Emit(OpCodes.Ldc_I4, k + 1);
        il.Emit(OpCodes.Ret);
        il.MarkLabel(go);
    }

    // ---- memory ----

    /// <summary>Pushes the operand's offset (base + index &lt;&lt; scale + displacement).</summary>
    private void EmitOffset(JitAddr a)
    {
        bool any = false;
        if (a.Base != JitAddr.NoReg) { LoadReg(a.Base); any = true; }
        if (a.Index != JitAddr.NoReg)
        {
            LoadReg(a.Index);
            if (a.Scale != 0) { il.Emit(OpCodes.Ldc_I4, (int)a.Scale); il.Emit(OpCodes.Shl); }
            if (any) il.Emit(OpCodes.Add);
            any = true;
        }
        if (!any) il.Emit(OpCodes.Ldc_I4, a.Disp);
        else if (a.Disp != 0) { il.Emit(OpCodes.Ldc_I4, a.Disp); il.Emit(OpCodes.Add); }
    }

    /// <summary>Pushes a managed reference to segment register s.</summary>
    private void SegRef(int s)
    {
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldflda, F.S);
        il.Emit(OpCodes.Ldflda, F.Seg);
        il.Emit(OpCodes.Ldflda, F.SegsFirst);
        if (s != 0)
        {
            il.Emit(OpCodes.Ldc_I4, s);
            il.Emit(OpCodes.Sizeof, typeof(Segment));
            il.Emit(OpCodes.Mul);
            il.Emit(OpCodes.Add);
        }
    }

    /// <summary>lin = segment base + offset.</summary>
    private void EmitLinear(JitAddr a)
    {
        SegRef(a.Seg);
        il.Emit(OpCodes.Ldfld, F.SegBase);
        EmitOffset(a);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _lin);
    }

    // ---- the stack (32-bit SS; a 16-bit stack takes the interpreter's handler) ----

    /// <summary>Emits body for a 32-bit stack, and the handler call for a 16-bit one.</summary>
    private void WithBigStack(in JitInstr op, int k, bool isLast, Action body)
    {
        var small = il.DefineLabel();
        var done = il.DefineLabel();
        SegRef(Reg.Ss);
        il.Emit(OpCodes.Ldfld, F.SegBig);
        il.Emit(OpCodes.Brfalse, small);
        body();
        uint dirty = _dirty;
        il.Emit(OpCodes.Br, done);
        il.MarkLabel(small);
        EmitHandlerCall(in op, k, isLast);
        il.MarkLabel(done);
        _dirty |= dirty;
    }

    /// <summary>ESP -= 4; mem32[SS:ESP] = v (ESP changes only once the write succeeded).</summary>
    private void EmitPushV()
    {
        LoadReg(Reg.Esp);
        il.Emit(OpCodes.Ldc_I4_4);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Stloc, _sp);
        SegRef(Reg.Ss);
        il.Emit(OpCodes.Ldfld, F.SegBase);
        il.Emit(OpCodes.Ldloc, _sp);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _lin);
        EmitWrite32();
        il.Emit(OpCodes.Ldloc, _sp);
        SetReg(Reg.Esp);
    }

    /// <summary>v = mem32[SS:ESP]; ESP += 4.</summary>
    private void EmitPopV()
    {
        LoadReg(Reg.Esp);
        il.Emit(OpCodes.Stloc, _sp);
        SegRef(Reg.Ss);
        il.Emit(OpCodes.Ldfld, F.SegBase);
        il.Emit(OpCodes.Ldloc, _sp);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _lin);
        EmitRead32();
        il.Emit(OpCodes.Ldloc, _sp);
        il.Emit(OpCodes.Ldc_I4_4);
        il.Emit(OpCodes.Add);
        SetReg(Reg.Esp);
    }

    /// <summary>ent = tlb[lin >> 12] (tlb: the CPU's current read or write array).</summary>
    private void EmitTlbEntry(System.Reflection.FieldInfo tlb)
    {
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldfld, tlb);
        il.Emit(OpCodes.Ldloc, _lin);
        il.Emit(OpCodes.Ldc_I4, 12);
        il.Emit(OpCodes.Shr_Un);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Ldc_I4_4);
        il.Emit(OpCodes.Mul);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ldind_U4);
        il.Emit(OpCodes.Stloc, _ent);
    }

    /// <summary>Branches to slow unless the entry is a RAM page and the access's size bytes stay in it; else pushes the host address.</summary>
    private void EmitFastAddress(Label slow, int size)
    {
        il.Emit(OpCodes.Ldloc, _ent);
        il.Emit(OpCodes.Ldc_I4, 0xFFF);
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Brtrue, slow);
        if (size > 1)
        {
            il.Emit(OpCodes.Ldloc, _lin);
            il.Emit(OpCodes.Ldc_I4, 0xFFF);
            il.Emit(OpCodes.And);
            il.Emit(OpCodes.Ldc_I4, 0x1000 - size);
            il.Emit(OpCodes.Bgt_Un, slow);
        }
        il.Emit(OpCodes.Ldc_I8, (long)ram);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Ldloc, _ent);
        il.Emit(OpCodes.Ldloc, _lin);
        il.Emit(OpCodes.Ldc_I4, 0xFFF);
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Or);
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Add);
    }

    private void EmitRead32() => EmitRead(4);

    private void EmitWrite32() => EmitWrite(4);

    /// <summary>
    /// v = mem[lin] (size 1, 2 or 4 bytes, zero-extended): the TLB fast path inline, the
    /// interpreter's slow path otherwise, which may fault: the registers go back to S first.
    /// </summary>
    private void EmitRead(int size)
    {
        var slow = il.DefineLabel();
        var done = il.DefineLabel();
        EmitTlbEntry(F.TlbRead);
        EmitFastAddress(slow, size);
        il.Emit(size switch { 1 => OpCodes.Ldind_U1, 2 => OpCodes.Ldind_U2, _ => OpCodes.Ldind_U4 });
        il.Emit(OpCodes.Stloc, _v);
        il.Emit(OpCodes.Br, done);
        il.MarkLabel(slow);
        FlushRegs(_dirty);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldloc, _lin);
        il.Emit(OpCodes.Ldc_I4, size);
        il.Emit(OpCodes.Call, F.ReadSlow);
        il.Emit(OpCodes.Stloc, _v);
        il.MarkLabel(done);
    }

    /// <summary>mem[lin] = v (size 1, 2 or 4 bytes). The slow path may fault, or hit a code page and set StopBlock: the op's end checks it.</summary>
    private void EmitWrite(int size)
    {
        var slow = il.DefineLabel();
        var done = il.DefineLabel();
        EmitTlbEntry(F.TlbWrite);
        EmitFastAddress(slow, size);
        il.Emit(OpCodes.Ldloc, _v);
        il.Emit(size switch { 1 => OpCodes.Stind_I1, 2 => OpCodes.Stind_I2, _ => OpCodes.Stind_I4 });
        il.Emit(OpCodes.Br, done);
        il.MarkLabel(slow);
        FlushRegs(_dirty);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldloc, _lin);
        il.Emit(OpCodes.Ldloc, _v);
        il.Emit(OpCodes.Ldc_I4, size);
        il.Emit(OpCodes.Call, F.WriteSlow);
        il.MarkLabel(done);
    }

    // ---- arithmetic and flags ----

    private void EmitAlu(in JitInstr op)
    {
        LoadReg(op.Dst);
        il.Emit(OpCodes.Stloc, _a);
        switch (op.Op)
        {
            case JitOp.AluRegReg:
                LoadReg(op.Src);
                break;
            case JitOp.AluRegImm:
                il.Emit(OpCodes.Ldc_I4, op.Imm);
                break;
            default:
                EmitLinear(op.Addr);
                EmitRead32();
                il.Emit(OpCodes.Ldloc, _v);
                break;
        }
        il.Emit(OpCodes.Stloc, _b);
        EmitAluResultAndFlags(in op);
        if (op.Alu is not (JitAlu.Cmp or JitAlu.Test))
        {
            il.Emit(OpCodes.Ldloc, _r);
            SetReg(op.Dst);
        }
    }

    /// <summary>r = a Alu b, and the lazy flags when live.</summary>
    private void EmitAluResultAndFlags(in JitInstr op)
    {
        il.Emit(OpCodes.Ldloc, _a);
        il.Emit(OpCodes.Ldloc, _b);
        il.Emit(op.Alu switch
        {
            JitAlu.Add => OpCodes.Add,
            JitAlu.Or => OpCodes.Or,
            JitAlu.And or JitAlu.Test => OpCodes.And,
            JitAlu.Sub or JitAlu.Cmp => OpCodes.Sub,
            _ => OpCodes.Xor,
        });
        il.Emit(OpCodes.Stloc, _r);
        if (!op.FlagsLive) return;
        bool logic = op.Alu is JitAlu.Or or JitAlu.And or JitAlu.Test or JitAlu.Xor;
        var kind = op.Alu switch
        {
            JitAlu.Add => X86Cpu.LazyOp.Add,
            JitAlu.Sub or JitAlu.Cmp => X86Cpu.LazyOp.Sub,
            _ => X86Cpu.LazyOp.Logic,
        };
        // As the interpreter's SetLazy: Logic keeps no operands.
        SetLazy(kind, logic ? null : _a, logic ? null : _b, _r);
    }

    /// <summary>IMUL with a 32-bit result: flags as the interpreter's (a shift-kind lazy state: CF = OF = the product does not fit).</summary>
    private void EmitImul(in JitInstr op)
    {
        LoadReg(op.Op == JitOp.ImulRegReg ? op.Dst : op.Src);
        il.Emit(OpCodes.Conv_I8);
        if (op.Op == JitOp.ImulRegReg) LoadReg(op.Src); else il.Emit(OpCodes.Ldc_I4, op.Imm);
        il.Emit(OpCodes.Conv_I8);
        il.Emit(OpCodes.Mul);
        il.Emit(OpCodes.Stloc, _product);
        il.Emit(OpCodes.Ldloc, _product);
        il.Emit(OpCodes.Conv_U4);
        il.Emit(OpCodes.Stloc, _r);
        il.Emit(OpCodes.Ldloc, _r);
        SetReg(op.Dst);
        if (!op.FlagsLive) return;
        il.Emit(OpCodes.Ldloc, _product);
        il.Emit(OpCodes.Ldloc, _product);
        il.Emit(OpCodes.Conv_I4);
        il.Emit(OpCodes.Conv_I8);
        il.Emit(OpCodes.Ceq);
        Not();
        il.Emit(OpCodes.Stloc, _cf);
        SetLazyKind(X86Cpu.LazyOp.Shift, LazySize32);
        StoreField(F.LazyRes, _r);
        StoreField(F.LazyCf, _cf);
        StoreField(F.LazyOf, _cf);
    }

    /// <summary>
    /// CMP or TEST on bytes: the lazy flags as the interpreter's 8-bit forms set them (size 0,
    /// operands and result masked; TEST keeps no operands).
    /// </summary>
    private void EmitCmp8(in JitInstr op)
    {
        bool test = op.Op == JitOp.Test8;
        if (op.Dst == JitAddr.NoReg)
        {
            EmitLinear(op.Addr);
            EmitRead(1);
            il.Emit(OpCodes.Ldloc, _v);
        }
        else LoadReg8(op.Dst);
        il.Emit(OpCodes.Stloc, _a);
        if (op.Src == JitAddr.NoReg) il.Emit(OpCodes.Ldc_I4, op.Imm & 0xFF); else LoadReg8(op.Src);
        il.Emit(OpCodes.Stloc, _b);
        il.Emit(OpCodes.Ldloc, _a);
        il.Emit(OpCodes.Ldloc, _b);
        il.Emit(test ? OpCodes.And : OpCodes.Sub);
        il.Emit(OpCodes.Ldc_I4, 0xFF);
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Stloc, _r);
        if (!op.FlagsLive) return;
        SetLazyKind(test ? X86Cpu.LazyOp.Logic : X86Cpu.LazyOp.Sub, LazySize8);
        StoreField(F.LazyDst, test ? null : _a);
        StoreField(F.LazySrc, test ? null : _b);
        StoreField(F.LazyRes, _r);
    }

    /// <summary>mem op= reg/imm, in the interpreter's order: read, flags, write.</summary>
    private void EmitAluMem(in JitInstr op)
    {
        EmitLinear(op.Addr);
        EmitRead32();
        il.Emit(OpCodes.Ldloc, _v);
        il.Emit(OpCodes.Stloc, _a);
        if (op.Op == JitOp.AluMemReg) LoadReg(op.Src); else il.Emit(OpCodes.Ldc_I4, op.Imm);
        il.Emit(OpCodes.Stloc, _b);
        EmitAluResultAndFlags(in op);
        if (op.Alu is JitAlu.Cmp or JitAlu.Test) return;
        il.Emit(OpCodes.Ldloc, _r);
        il.Emit(OpCodes.Stloc, _v);
        EmitWrite32();
    }

    /// <summary>SHL/SHR/SAR by a constant 1-31, flags as the interpreter's Shl32/Shr32/Sar32.</summary>
    private void EmitShift(in JitInstr op)
    {
        int n = op.Imm;
        LoadReg(op.Dst);
        il.Emit(OpCodes.Stloc, _a);
        il.Emit(OpCodes.Ldloc, _a);
        il.Emit(OpCodes.Ldc_I4, n);
        il.Emit(op.Shift switch { JitShift.Shl => OpCodes.Shl, JitShift.Shr => OpCodes.Shr_Un, _ => OpCodes.Shr });
        il.Emit(OpCodes.Stloc, _r);
        il.Emit(OpCodes.Ldloc, _r);
        SetReg(op.Dst);
        if (!op.FlagsLive) return;
        // CF: the last bit shifted out.
        il.Emit(OpCodes.Ldloc, _a);
        il.Emit(OpCodes.Ldc_I4, op.Shift == JitShift.Shl ? 32 - n : n - 1);
        il.Emit(OpCodes.Shr_Un);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Stloc, _b);
        SetLazyKind(X86Cpu.LazyOp.Shift, LazySize32);
        StoreField(F.LazyRes, _r);
        StoreField(F.LazyCf, _b);
        il.Emit(OpCodes.Ldarg_1);
        switch (op.Shift)
        {
            case JitShift.Shl: // OF = top bit of the result XOR CF
                il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4, 31); il.Emit(OpCodes.Shr_Un);
                il.Emit(OpCodes.Ldloc, _b); il.Emit(OpCodes.Xor);
                break;
            case JitShift.Shr: // OF = the operand's top bit, for a count of 1
                if (n == 1) { il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldc_I4, 31); il.Emit(OpCodes.Shr_Un); }
                else il.Emit(OpCodes.Ldc_I4_0);
                break;
            default:
                il.Emit(OpCodes.Ldc_I4_0);
                break;
        }
        il.Emit(OpCodes.Stfld, F.LazyOf);
    }

    private void EmitIncDec(in JitInstr op)
    {
        bool inc = op.Op == JitOp.Inc;
        if (op.FlagsLive)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Call, F.GetCF);
            il.Emit(OpCodes.Stloc, _cf);
        }
        LoadReg(op.Dst);
        il.Emit(OpCodes.Stloc, _a);
        il.Emit(OpCodes.Ldloc, _a);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(inc ? OpCodes.Add : OpCodes.Sub);
        il.Emit(OpCodes.Stloc, _r);
        il.Emit(OpCodes.Ldloc, _r);
        SetReg(op.Dst);
        if (!op.FlagsLive) return;
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Stloc, _b);
        SetLazy(inc ? X86Cpu.LazyOp.Inc : X86Cpu.LazyOp.Dec, _a, _b, _r);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldloc, _cf);
        il.Emit(OpCodes.Stfld, F.LazyCf);
    }

    // The interpreter's lazy-flag operand sizes: 0 byte, 1 word, 2 dword.
    private const int LazySize8 = 0, LazySize32 = 2;

    /// <summary>Which operation last set the flags, and at what size; the operand fields are the caller's.</summary>
    private void SetLazyKind(X86Cpu.LazyOp kind, int size)
    {
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4, (int)kind);
        il.Emit(OpCodes.Stfld, F.LazyOp);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4, size);
        il.Emit(OpCodes.Stfld, F.LazySz);
    }

    private void SetLazy(X86Cpu.LazyOp kind, LocalBuilder? dst, LocalBuilder? src, LocalBuilder res)
    {
        SetLazyKind(kind, LazySize32);
        StoreField(F.LazyDst, dst);
        StoreField(F.LazySrc, src);
        StoreField(F.LazyRes, res);
    }

    private void StoreField(System.Reflection.FieldInfo f, LocalBuilder? value)
    {
        il.Emit(OpCodes.Ldarg_1);
        if (value != null) il.Emit(OpCodes.Ldloc, value); else il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Stfld, f);
    }

    /// <summary>
    /// Pushes whether Jcc's condition holds: from the operands of the CMP/SUB or logic op that
    /// set the flags in this block when there is one (as the interpreter's fused pairs do), from
    /// the lazy flags otherwise.
    /// </summary>
    private void EmitCondition(in JitInstr op)
    {
        int cc = op.Cc;
        JitOp producerOp = op.FlagProducer >= 0 ? block.Ops[op.FlagProducer].Op : JitOp.CallHandler;
        JitAlu? producer = producerOp is JitOp.AluRegReg or JitOp.AluRegImm or JitOp.AluRegMem or JitOp.AluMemReg or JitOp.AluMemImm
            ? block.Ops[op.FlagProducer].Alu : null;
        bool sub = producer is JitAlu.Sub or JitAlu.Cmp;
        bool logic = producer is JitAlu.And or JitAlu.Or or JitAlu.Xor or JitAlu.Test;
        int test = cc >> 1;
        if (producerOp is JitOp.Cmp8 or JitOp.Test8 && test != 5)
        {
            EmitByteCondition(producerOp == JitOp.Cmp8, test);
            if ((cc & 1) != 0) Not();
            return;
        }
        if (producerOp is JitOp.Inc or JitOp.Dec && test is 0 or 2 or 4 or 6 or 7)
        {
            EmitIncDecCondition(producerOp == JitOp.Inc, test);
            if ((cc & 1) != 0) Not();
            return;
        }
        if (!(sub || logic) || test == 5)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldc_I4, cc);
            il.Emit(OpCodes.Call, F.Cond);
            return;
        }
        switch (test)
        {
            case 0: // OF
                if (sub)
                {
                    il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _b); il.Emit(OpCodes.Xor);
                    il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Xor);
                    il.Emit(OpCodes.And);
                    il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Clt);
                }
                else il.Emit(OpCodes.Ldc_I4_0);
                break;
            case 1: // CF
                if (sub) { il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _b); il.Emit(OpCodes.Clt_Un); }
                else il.Emit(OpCodes.Ldc_I4_0);
                break;
            case 2: // ZF
                il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Ceq);
                break;
            case 3: // CF or ZF
                if (sub) { il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _b); il.Emit(OpCodes.Cgt_Un); Not(); }
                else { il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Ceq); }
                break;
            case 4: // SF
                il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Clt);
                break;
            case 6: // SF != OF
                if (sub) { il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _b); il.Emit(OpCodes.Clt); }
                else { il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Clt); }
                break;
            default: // ZF or SF != OF
                if (sub) { il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _b); il.Emit(OpCodes.Cgt); Not(); }
                else { il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Cgt); Not(); }
                break;
        }
        if ((cc & 1) != 0) Not();
    }

    /// <summary>Conditions after a byte CMP (a, b the zero-extended bytes, r = (a - b) &amp; 0xFF) or TEST (r = a &amp; b), but parity.</summary>
    private void EmitByteCondition(bool cmp, int test)
    {
        void Signed(LocalBuilder x) { il.Emit(OpCodes.Ldloc, x); il.Emit(OpCodes.Conv_I1); }
        void Sf() { il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4, 0x80); il.Emit(OpCodes.And); il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Cgt_Un); }
        void Zf() { il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Ceq); }
        switch (test)
        {
            case 0: // OF
                if (cmp)
                {
                    il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _b); il.Emit(OpCodes.Xor);
                    il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Xor);
                    il.Emit(OpCodes.And); il.Emit(OpCodes.Ldc_I4, 0x80); il.Emit(OpCodes.And);
                    il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Cgt_Un);
                }
                else il.Emit(OpCodes.Ldc_I4_0);
                break;
            case 1: // CF
                if (cmp) { il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _b); il.Emit(OpCodes.Clt_Un); }
                else il.Emit(OpCodes.Ldc_I4_0);
                break;
            case 2: // ZF
                Zf();
                break;
            case 3: // CF or ZF
                if (cmp) { il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldloc, _b); il.Emit(OpCodes.Cgt_Un); Not(); }
                else Zf();
                break;
            case 4: // SF
                Sf();
                break;
            case 6: // SF != OF
                if (cmp) { Signed(_a); Signed(_b); il.Emit(OpCodes.Clt); }
                else Sf();
                break;
            default: // ZF or SF != OF
                if (cmp) { Signed(_a); Signed(_b); il.Emit(OpCodes.Cgt); Not(); }
                else { Zf(); Sf(); il.Emit(OpCodes.Or); }
                break;
        }
    }

    /// <summary>Conditions after INC/DEC (a = old value, r = result) that do not read the kept CF.</summary>
    private void EmitIncDecCondition(bool inc, int test)
    {
        switch (test)
        {
            case 0: // OF: the result wrapped to the other sign's extreme
                il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4, inc ? int.MinValue : int.MaxValue); il.Emit(OpCodes.Ceq);
                break;
            case 2: // ZF
                il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Ceq);
                break;
            case 4: // SF
                il.Emit(OpCodes.Ldloc, _r); il.Emit(OpCodes.Ldc_I4_0); il.Emit(OpCodes.Clt);
                break;
            case 6: // SF != OF: the exact a +/- 1 is negative
                il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldc_I4, inc ? -1 : 1); il.Emit(OpCodes.Clt);
                break;
            default: // ZF or SF != OF: the exact a +/- 1 is at most 0
                il.Emit(OpCodes.Ldloc, _a); il.Emit(OpCodes.Ldc_I4, inc ? 0 : 2); il.Emit(OpCodes.Clt);
                break;
        }
    }

    private void Not()
    {
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Ceq);
    }

    // ---- everything else ----

    /// <summary>The interpreter's handler for the op, on S: the registers go back to S before it and are read again after (it may write any).</summary>
    private void EmitHandlerCall(in JitInstr op, int k, bool isLast)
    {
        FlushRegs(_dirty);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I8, (long)(instrs + op.Slot));
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Ldc_I8, (long)block.HandlerAt(op.Slot));
        il.Emit(OpCodes.Conv_I);
        il.EmitCalli(OpCodes.Calli, System.Reflection.CallingConventions.Standard, typeof(void), [typeof(X86Cpu), typeof(Instr).MakeByRefType()], null);
        ReloadRegs();
        if (!isLast) EmitStopCheck(in op, k);
    }
}
