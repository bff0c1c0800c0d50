using System.Reflection.Emit;
using Vm.Engine.Cpu;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;
using Vm.Engine.Jit.Frontend;
using F = Vm.Engine.Jit.Il.GuestStateFields;

namespace Vm.Engine.Jit.Il;

/// <summary>
/// Emits one block's CIL. Guest registers live in S (no caching in locals: a fault can leave
/// at any memory access, and S is then already exact). EIP is relative to the block's entry
/// EIP (local e0), as the interpreter computes it; _instrStart is written only before ops
/// that can fault; S.Eip before the last op, or at an early exit.
/// </summary>
internal sealed unsafe class IlBlockEmitter(ILGenerator il, JitBlock block, byte* ram, Instr* instrs)
{
    private LocalBuilder _e0 = null!, _lin = null!, _ent = null!, _v = null!, _a = null!, _b = null!, _r = null!, _cf = null!;

    public void Emit()
    {
        _e0 = il.DeclareLocal(typeof(uint));
        _lin = il.DeclareLocal(typeof(uint));
        _ent = il.DeclareLocal(typeof(uint));
        _v = il.DeclareLocal(typeof(uint));
        _a = il.DeclareLocal(typeof(uint));
        _b = il.DeclareLocal(typeof(uint));
        _r = il.DeclareLocal(typeof(uint));
        _cf = il.DeclareLocal(typeof(bool));
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldflda, F.S);
        il.Emit(OpCodes.Ldfld, F.Eip);
        il.Emit(OpCodes.Stloc, _e0);
        JitInstr[] ops = block.Ops;
        int last = ops.Length - 1;
        for (int k = 0; k <= last; k++)
        {
            ref readonly JitInstr op = ref ops[k];
            if (op.MayExit) StoreInstrStart(op.Offset);
            if (k == last) StoreEip(op.End);
            EmitOp(in op, k, k == last);
        }
        il.Emit(OpCodes.Ldc_I4, block.InstructionCount);
        il.Emit(OpCodes.Ret);
    }

    private void EmitOp(in JitInstr op, int k, bool isLast)
    {
        switch (op.Op)
        {
            case JitOp.MovRegImm:
                RegRef(op.Dst);
                il.Emit(OpCodes.Ldc_I4, op.Imm);
                il.Emit(OpCodes.Stind_I4);
                break;
            case JitOp.MovRegReg:
                RegRef(op.Dst);
                LoadReg(op.Src);
                il.Emit(OpCodes.Stind_I4);
                break;
            case JitOp.Lea:
                RegRef(op.Dst);
                EmitOffset(op.Addr);
                il.Emit(OpCodes.Stind_I4);
                break;
            case JitOp.Load32:
                EmitLinear(op.Addr);
                EmitRead32();
                RegRef(op.Dst);
                il.Emit(OpCodes.Ldloc, _v);
                il.Emit(OpCodes.Stind_I4);
                break;
            case JitOp.Store32:
            case JitOp.Store32Imm:
                EmitLinear(op.Addr);
                if (op.Op == JitOp.Store32) LoadReg(op.Src); else il.Emit(OpCodes.Ldc_I4, op.Imm);
                il.Emit(OpCodes.Stloc, _v);
                EmitWrite32(op, k, isLast);
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
            default:
                EmitHandlerCall(in op, k, isLast);
                break;
        }
    }

    // ---- guest state ----

    /// <summary>Pushes a managed reference to R[r].</summary>
    private void RegRef(int r)
    {
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldflda, F.S);
        il.Emit(OpCodes.Ldflda, F.R);
        il.Emit(OpCodes.Ldflda, F.RegsFirst);
        if (r != 0)
        {
            il.Emit(OpCodes.Ldc_I4, r * 4);
            il.Emit(OpCodes.Add);
        }
    }

    private void LoadReg(int r)
    {
        RegRef(r);
        il.Emit(OpCodes.Ldind_U4);
    }

    private void StoreInstrStart(int offset)
    {
        il.Emit(OpCodes.Ldarg_0);
        EmitE0Plus(offset);
        il.Emit(OpCodes.Stfld, F.InstrStart);
    }

    private void StoreEip(int offset)
    {
        il.Emit(OpCodes.Ldarg_0);
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
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, F.StopBlock);
        il.Emit(OpCodes.Brfalse, go);
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

    /// <summary>lin = segment base + offset.</summary>
    private void EmitLinear(JitAddr a)
    {
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldflda, F.S);
        il.Emit(OpCodes.Ldflda, F.Seg);
        il.Emit(OpCodes.Ldflda, F.SegsFirst);
        if (a.Seg != 0)
        {
            il.Emit(OpCodes.Ldc_I4, (int)a.Seg);
            il.Emit(OpCodes.Sizeof, typeof(Segment));
            il.Emit(OpCodes.Mul);
            il.Emit(OpCodes.Add);
        }
        il.Emit(OpCodes.Ldfld, F.SegBase);
        EmitOffset(a);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, _lin);
    }

    /// <summary>ent = tlb[lin >> 12] (tlb: the CPU's current read or write array).</summary>
    private void EmitTlbEntry(System.Reflection.FieldInfo tlb)
    {
        il.Emit(OpCodes.Ldarg_0);
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

    /// <summary>Branches to slow unless the entry is a RAM page and the 4 bytes stay in it; else pushes the host address.</summary>
    private void EmitFastAddress(Label slow)
    {
        il.Emit(OpCodes.Ldloc, _ent);
        il.Emit(OpCodes.Ldc_I4, 0xFFF);
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Brtrue, slow);
        il.Emit(OpCodes.Ldloc, _lin);
        il.Emit(OpCodes.Ldc_I4, 0xFFF);
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Ldc_I4, 0xFFC);
        il.Emit(OpCodes.Bgt_Un, slow);
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

    /// <summary>v = mem32[lin]: the TLB fast path inline, the interpreter's slow path otherwise.</summary>
    private void EmitRead32()
    {
        var slow = il.DefineLabel();
        var done = il.DefineLabel();
        EmitTlbEntry(F.TlbRead);
        EmitFastAddress(slow);
        il.Emit(OpCodes.Ldind_U4);
        il.Emit(OpCodes.Stloc, _v);
        il.Emit(OpCodes.Br, done);
        il.MarkLabel(slow);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldloc, _lin);
        il.Emit(OpCodes.Call, F.Read32Slow);
        il.Emit(OpCodes.Stloc, _v);
        il.MarkLabel(done);
    }

    /// <summary>mem32[lin] = v; the slow path may hit a code page, which stops the block.</summary>
    private void EmitWrite32(in JitInstr op, int k, bool isLast)
    {
        var slow = il.DefineLabel();
        var done = il.DefineLabel();
        EmitTlbEntry(F.TlbWrite);
        EmitFastAddress(slow);
        il.Emit(OpCodes.Ldloc, _v);
        il.Emit(OpCodes.Stind_I4);
        il.Emit(OpCodes.Br, done);
        il.MarkLabel(slow);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldloc, _lin);
        il.Emit(OpCodes.Ldloc, _v);
        il.Emit(OpCodes.Ldc_I4_4);
        il.Emit(OpCodes.Call, F.WriteSplit);
        if (!isLast) EmitStopCheck(in op, k);
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
        if (op.Alu is not (JitAlu.Cmp or JitAlu.Test))
        {
            RegRef(op.Dst);
            il.Emit(OpCodes.Ldloc, _r);
            il.Emit(OpCodes.Stind_I4);
        }
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

    private void EmitIncDec(in JitInstr op)
    {
        bool inc = op.Op == JitOp.Inc;
        if (op.FlagsLive)
        {
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Call, F.GetCF);
            il.Emit(OpCodes.Stloc, _cf);
        }
        LoadReg(op.Dst);
        il.Emit(OpCodes.Stloc, _a);
        il.Emit(OpCodes.Ldloc, _a);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(inc ? OpCodes.Add : OpCodes.Sub);
        il.Emit(OpCodes.Stloc, _r);
        RegRef(op.Dst);
        il.Emit(OpCodes.Ldloc, _r);
        il.Emit(OpCodes.Stind_I4);
        if (!op.FlagsLive) return;
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Stloc, _b);
        SetLazy(inc ? X86Cpu.LazyOp.Inc : X86Cpu.LazyOp.Dec, _a, _b, _r);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldloc, _cf);
        il.Emit(OpCodes.Stfld, F.LazyCf);
    }

    private void SetLazy(X86Cpu.LazyOp kind, LocalBuilder? dst, LocalBuilder? src, LocalBuilder res)
    {
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldc_I4, (int)kind);
        il.Emit(OpCodes.Stfld, F.LazyOp);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldc_I4_2);
        il.Emit(OpCodes.Stfld, F.LazySz);
        StoreField(F.LazyDst, dst);
        StoreField(F.LazySrc, src);
        StoreField(F.LazyRes, res);
    }

    private void StoreField(System.Reflection.FieldInfo f, LocalBuilder? value)
    {
        il.Emit(OpCodes.Ldarg_0);
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
        JitAlu? producer = op.FlagProducer >= 0 ? block.Ops[op.FlagProducer].Alu : null;
        bool sub = producer is JitAlu.Sub or JitAlu.Cmp;
        bool logic = producer is JitAlu.And or JitAlu.Or or JitAlu.Xor or JitAlu.Test;
        int test = cc >> 1;
        if (!(sub || logic) || test == 5)
        {
            il.Emit(OpCodes.Ldarg_0);
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

    private void Not()
    {
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Ceq);
    }

    // ---- everything else ----

    private void EmitHandlerCall(in JitInstr op, int k, bool isLast)
    {
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldc_I8, (long)(instrs + op.Slot));
        il.Emit(OpCodes.Conv_U);
        il.Emit(OpCodes.Ldc_I8, (long)block.HandlerAt(op.Slot));
        il.Emit(OpCodes.Conv_I);
        il.EmitCalli(OpCodes.Calli, System.Reflection.CallingConventions.Standard, typeof(void), [typeof(X86Cpu), typeof(Instr).MakeByRefType()], null);
        if (!isLast) EmitStopCheck(in op, k);
    }
}
