using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

// Specialized handlers for the most frequent instruction forms, chosen once at decode time
// (HandlerFor). The generic handlers decode operand size, ALU operation and addressing at run
// time; a profile of boot, gzip and sha256 showed that work, the non-inlined Alu/Shift/Cond
// switches and the flag materialization of rotates as most of the cost. Each form here is
// a generic method over struct type parameters (the operation, the addressing mode, the
// condition), which the JIT compiles once per combination with everything inlined.
// Only 32-bit operand and address size without LOCK; everything else takes the generic path.

/// <summary>A 32-bit ALU operation with its lazy flags.</summary>
internal interface IAlu32
{
    static abstract uint Do(X86Cpu c, uint a, uint b);
    /// <summary>False for CMP and TEST (result only in the flags).</summary>
    static abstract bool Writes { get; }
}

/// <summary>How a memory operand's offset is formed.</summary>
internal interface IAddr
{
    static abstract uint Ea(X86Cpu c, in Instr i);
}

/// <summary>A Jcc/SETcc/CMOVcc condition.</summary>
internal interface ICond
{
    static abstract bool Test(X86Cpu c);
}

/// <summary>A 32-bit shift or rotate by a non-zero count (1..31) with its flags.</summary>
internal interface IShift32
{
    static abstract uint Do(X86Cpu c, uint a, int count);
}

public sealed unsafe partial class X86Cpu
{
    // ---- operations ----
    private struct Add32 : IAlu32
    {
        public static bool Writes => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, uint b) { uint r = a + b; c.SetLazy(LazyOp.Add, 2, a, b, r); return r; }
    }

    private struct Or32 : IAlu32
    {
        public static bool Writes => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, uint b) { uint r = a | b; c.SetLazy(LazyOp.Logic, 2, 0, 0, r); return r; }
    }

    private struct And32 : IAlu32
    {
        public static bool Writes => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, uint b) { uint r = a & b; c.SetLazy(LazyOp.Logic, 2, 0, 0, r); return r; }
    }

    private struct Sub32 : IAlu32
    {
        public static bool Writes => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, uint b) { uint r = a - b; c.SetLazy(LazyOp.Sub, 2, a, b, r); return r; }
    }

    private struct Xor32 : IAlu32
    {
        public static bool Writes => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, uint b) { uint r = a ^ b; c.SetLazy(LazyOp.Logic, 2, 0, 0, r); return r; }
    }

    private struct Cmp32 : IAlu32
    {
        public static bool Writes => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, uint b) { c.SetLazy(LazyOp.Sub, 2, a, b, a - b); return a; }
    }

    private struct Test32 : IAlu32
    {
        public static bool Writes => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, uint b) { c.SetLazy(LazyOp.Logic, 2, 0, 0, a & b); return a; }
    }

    // ---- addressing (32-bit address size) ----
    private struct ABase : IAddr
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Ea(X86Cpu c, in Instr i) => c.R32(i.Base) + (uint)i.Disp;
    }

    private struct ABaseIndex : IAddr
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Ea(X86Cpu c, in Instr i) => c.R32(i.Base) + (c.R32(i.Index) << i.Scale) + (uint)i.Disp;
    }

    private struct AIndex : IAddr
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Ea(X86Cpu c, in Instr i) => (c.R32(i.Index) << i.Scale) + (uint)i.Disp;
    }

    private struct ADisp : IAddr
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Ea(X86Cpu c, in Instr i) => (uint)i.Disp;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint LinOf<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint ea = TA.Ea(c, in i);
        ref Segment seg = ref c.S.Seg[i.Seg];
        if (seg.Check != Segment.Flat) c.CheckSegment(i.Seg, ea, AccessWidth(i));
        return seg.Base + ea;
    }

    // ---- conditions ----
    private struct CcO : ICond { public static bool Test(X86Cpu c) => c.GetOF(); }
    private struct CcNO : ICond { public static bool Test(X86Cpu c) => !c.GetOF(); }
    private struct CcB : ICond { public static bool Test(X86Cpu c) => c.GetCF(); }
    private struct CcAE : ICond { public static bool Test(X86Cpu c) => !c.GetCF(); }
    private struct CcZ : ICond { public static bool Test(X86Cpu c) => c.GetZF(); }
    private struct CcNZ : ICond { public static bool Test(X86Cpu c) => !c.GetZF(); }
    private struct CcBE : ICond { public static bool Test(X86Cpu c) => c.GetCF() || c.GetZF(); }
    private struct CcA : ICond { public static bool Test(X86Cpu c) => !(c.GetCF() || c.GetZF()); }
    private struct CcS : ICond { public static bool Test(X86Cpu c) => c.GetSF(); }
    private struct CcNS : ICond { public static bool Test(X86Cpu c) => !c.GetSF(); }
    private struct CcP : ICond { public static bool Test(X86Cpu c) => c.GetPF(); }
    private struct CcNP : ICond { public static bool Test(X86Cpu c) => !c.GetPF(); }
    private struct CcL : ICond { public static bool Test(X86Cpu c) => c.GetSF() != c.GetOF(); }
    private struct CcGE : ICond { public static bool Test(X86Cpu c) => c.GetSF() == c.GetOF(); }
    private struct CcLE : ICond { public static bool Test(X86Cpu c) => c.GetZF() || c.GetSF() != c.GetOF(); }
    private struct CcG : ICond { public static bool Test(X86Cpu c) => !c.GetZF() && c.GetSF() == c.GetOF(); }

    // ---- shifts and rotates (32-bit, count 1..31; flags as Shift() computes them) ----
    private struct Rol32 : IShift32
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, int n)
        {
            uint r = (a << n) | (a >> (32 - n));
            bool cf = (r & 1) != 0;
            c.SetLazyRotate(cf, ((r >> 31) != 0) ^ cf);
            return r;
        }
    }

    private struct Ror32 : IShift32
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, int n)
        {
            uint r = (a >> n) | (a << (32 - n));
            c.SetLazyRotate((r >> 31) != 0, ((r ^ (r << 1)) >> 31) != 0);
            return r;
        }
    }

    private struct Shl32 : IShift32
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, int n)
        {
            uint r = a << n;
            bool cf = ((a >> (32 - n)) & 1) != 0;
            c.SetLazyShift(2, r, cf, ((r >> 31) != 0) ^ cf);
            return r;
        }
    }

    private struct Shr32 : IShift32
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, int n)
        {
            uint r = a >> n;
            c.SetLazyShift(2, r, ((a >> (n - 1)) & 1) != 0, n == 1 && (a >> 31) != 0);
            return r;
        }
    }

    private struct Sar32 : IShift32
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Do(X86Cpu c, uint a, int n)
        {
            uint r = (uint)((int)a >> n);
            c.SetLazyShift(2, r, (((int)a >> (n - 1)) & 1) != 0, false);
            return r;
        }
    }

    // ---- handlers ----
    private static void HAluRmReg<T>(X86Cpu c, in Instr i) where T : struct, IAlu32
    {
        uint r = T.Do(c, c.S.R[i.Rm], c.S.R[i.RegField]);
        if (T.Writes) c.S.R[i.Rm] = r;
    }

    private static void HAluRegRm<T>(X86Cpu c, in Instr i) where T : struct, IAlu32
    {
        uint r = T.Do(c, c.S.R[i.RegField], c.S.R[i.Rm]);
        if (T.Writes) c.S.R[i.RegField] = r;
    }

    private static void HAluRegMem<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        uint p = FastPhys<TA>(c, in i, c._tlbRead, 4);
        if (p != NoFast)
        {
            uint rf = T.Do(c, c.R32(i.RegField), c.Ram32(p));
            if (T.Writes) c.R32(i.RegField) = rf;
            return;
        }
        AluRegMemSlow<T, TA>(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AluRegMemSlow<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        uint v = c.Read32(LinOf<TA>(c, in i));
        uint r = T.Do(c, c.S.R[i.RegField], v);
        if (T.Writes) c.S.R[i.RegField] = r;
    }

    private static void HAluMemReg<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        // A read-modify-write needs the write entry (which implies readable); CMP/TEST only read.
        uint p = FastPhys<TA>(c, in i, T.Writes ? c._tlbWrite : c._tlbRead, 4);
        if (p != NoFast)
        {
            ref uint m = ref c.Ram32(p);
            uint rf = T.Do(c, m, c.R32(i.RegField));
            if (T.Writes) m = rf;
            return;
        }
        AluMemRegSlow<T, TA>(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AluMemRegSlow<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        uint lin = LinOf<TA>(c, in i);
        uint r = T.Do(c, c.Read32(lin), c.S.R[i.RegField]);
        if (T.Writes) c.Write32(lin, r);
    }

    private static void HAluRmImm<T>(X86Cpu c, in Instr i) where T : struct, IAlu32
    {
        uint r = T.Do(c, c.S.R[i.Rm], (uint)i.Imm);
        if (T.Writes) c.S.R[i.Rm] = r;
    }

    private static void HAluEaxImm<T>(X86Cpu c, in Instr i) where T : struct, IAlu32
    {
        uint r = T.Do(c, c.S.R[Reg.Eax], (uint)i.Imm);
        if (T.Writes) c.S.R[Reg.Eax] = r;
    }

    private static void HAluMemImm<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        uint p = FastPhys<TA>(c, in i, T.Writes ? c._tlbWrite : c._tlbRead, 4);
        if (p != NoFast)
        {
            ref uint m = ref c.Ram32(p);
            uint rf = T.Do(c, m, (uint)i.Imm);
            if (T.Writes) m = rf;
            return;
        }
        AluMemImmSlow<T, TA>(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AluMemImmSlow<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        uint lin = LinOf<TA>(c, in i);
        uint r = T.Do(c, c.Read32(lin), (uint)i.Imm);
        if (T.Writes) c.Write32(lin, r);
    }

    private static void HMovLoad<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint p = FastPhys<TA>(c, in i, c._tlbRead, 4);
        if (p != NoFast) { c.R32(i.RegField) = c.Ram32(p); return; }
        MovLoadSlow<TA>(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MovLoadSlow<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.S.R[i.RegField] = c.Read32(LinOf<TA>(c, in i));

    private static void HMovStore<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint p = FastPhys<TA>(c, in i, c._tlbWrite, 4);
        if (p != NoFast) { c.Ram32(p) = c.R32(i.RegField); return; }
        MovStoreSlow<TA>(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MovStoreSlow<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.Write32(LinOf<TA>(c, in i), c.S.R[i.RegField]);

    private static void HMovStoreImm<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint p = FastPhys<TA>(c, in i, c._tlbWrite, 4);
        if (p != NoFast) { c.Ram32(p) = (uint)i.Imm; return; }
        MovStoreImmSlow<TA>(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MovStoreImmSlow<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.Write32(LinOf<TA>(c, in i), (uint)i.Imm);

    private static void HMovzx8Load<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint p = FastPhys<TA>(c, in i, c._tlbRead, 1);
        if (p != NoFast) { c.R32(i.RegField) = c._ram[p]; return; }
        Movzx8LoadSlow<TA>(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Movzx8LoadSlow<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.S.R[i.RegField] = c.Read8(LinOf<TA>(c, in i));

    private static void HMovzx16Load<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.S.R[i.RegField] = c.Read16(LinOf<TA>(c, in i));

    private static void HLea<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.S.R[i.RegField] = TA.Ea(c, in i);

    private static void HMovRegImm(X86Cpu c, in Instr i) => c.S.R[i.Op & 7] = (uint)i.Imm;

    private static void HMovRmImm(X86Cpu c, in Instr i) => c.S.R[i.Rm] = (uint)i.Imm;

    private static void HMovzx8Reg(X86Cpu c, in Instr i) => c.S.R[i.RegField] = c.GetReg(i.Rm, 0);

    private static void HMovzx16Reg(X86Cpu c, in Instr i) => c.S.R[i.RegField] = c.S.R[i.Rm] & 0xFFFF;

    private static void HInc32(X86Cpu c, in Instr i)
    {
        int r = i.Op & 7;
        bool cf = c.GetCF();
        uint a = c.S.R[r];
        uint res = a + 1;
        c.SetLazy(LazyOp.Inc, 2, a, 1, res);
        c._lazyCf = cf;
        c.S.R[r] = res;
    }

    private static void HDec32(X86Cpu c, in Instr i)
    {
        int r = i.Op & 7;
        bool cf = c.GetCF();
        uint a = c.S.R[r];
        uint res = a - 1;
        c.SetLazy(LazyOp.Dec, 2, a, 1, res);
        c._lazyCf = cf;
        c.S.R[r] = res;
    }

    private static void HPush32(X86Cpu c, in Instr i)
    {
        uint esp = c.R32(Reg.Esp) - 4;
        uint p = c.FastStackPhys(esp, c._tlbWrite);
        if (p != NoFast)
        {
            c.Ram32(p) = c.R32(i.Op & 7); // PUSH ESP pushes the value before the push
            c.R32(Reg.Esp) = esp;
            return;
        }
        Push32Slow(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Push32Slow(X86Cpu c, in Instr i) => c.Push32(c.S.R[i.Op & 7]);

    private static void HPop32(X86Cpu c, in Instr i)
    {
        uint esp = c.R32(Reg.Esp);
        uint p = c.FastStackPhys(esp, c._tlbRead);
        if (p != NoFast)
        {
            uint v = c.Ram32(p);
            c.R32(Reg.Esp) = esp + 4;
            c.R32(i.Op & 7) = v; // POP ESP: the popped value wins
            return;
        }
        Pop32Slow(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Pop32Slow(X86Cpu c, in Instr i)
    {
        uint v = c.Pop32();
        c.S.R[i.Op & 7] = v;
    }

    private static void HJcc<TC>(X86Cpu c, in Instr i) where TC : struct, ICond
    {
        if (TC.Test(c)) c.S.Eip += (uint)i.Imm;
    }

    private static void HJmpRel(X86Cpu c, in Instr i) => c.S.Eip += (uint)i.Imm;

    private static void HCmovReg<TC>(X86Cpu c, in Instr i) where TC : struct, ICond
    {
        if (TC.Test(c)) c.S.R[i.RegField] = c.S.R[i.Rm];
    }

    private static void HShiftImm<TS>(X86Cpu c, in Instr i) where TS : struct, IShift32 => c.S.R[i.Rm] = TS.Do(c, c.S.R[i.Rm], i.Imm & 31);

    private static void HShiftOne<TS>(X86Cpu c, in Instr i) where TS : struct, IShift32 => c.S.R[i.Rm] = TS.Do(c, c.S.R[i.Rm], 1);

    private static void HShiftCl<TS>(X86Cpu c, in Instr i) where TS : struct, IShift32
    {
        int n = (int)c.S.R[Reg.Ecx] & 31;
        if (n != 0) c.S.R[i.Rm] = TS.Do(c, c.S.R[i.Rm], n);
    }

    // ---- multiply: CF = OF = the product does not fit; SF/ZF/PF from the low half, AF 0 (as the generic form) ----
    private static void HImulRegRmImm(X86Cpu c, in Instr i)
    {
        long r = (long)(int)c.S.R[i.Rm] * i.Imm;
        bool ovf = r != (int)r;
        c.S.R[i.RegField] = (uint)r;
        c.SetLazyShift(2, (uint)r, ovf, ovf);
    }

    private static void HImulRegMemImm<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        long r = (long)(int)c.Read32(LinOf<TA>(c, in i)) * i.Imm;
        bool ovf = r != (int)r;
        c.S.R[i.RegField] = (uint)r;
        c.SetLazyShift(2, (uint)r, ovf, ovf);
    }

    private static void HImulRegRm(X86Cpu c, in Instr i)
    {
        long r = (long)(int)c.S.R[i.RegField] * (int)c.S.R[i.Rm];
        bool ovf = r != (int)r;
        c.S.R[i.RegField] = (uint)r;
        c.SetLazyShift(2, (uint)r, ovf, ovf);
    }

    private static void HCmovMem<TC, TA>(X86Cpu c, in Instr i) where TC : struct, ICond where TA : struct, IAddr
    {
        uint v = c.Read32(LinOf<TA>(c, in i)); // read (and fault) whatever the condition
        if (TC.Test(c)) c.S.R[i.RegField] = v;
    }

    // ---- calls and returns (32-bit) ----
    private static void HCallRel(X86Cpu c, in Instr i)
    {
        uint esp = c.R32(Reg.Esp) - 4;
        uint p = c.FastStackPhys(esp, c._tlbWrite);
        if (p != NoFast)
        {
            uint r = c.S.Eip;
            c.Ram32(p) = r;
            c.R32(Reg.Esp) = esp;
            c.S.Eip = r + (uint)i.Imm;
            return;
        }
        CallRelSlow(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallRelSlow(X86Cpu c, in Instr i)
    {
        uint ret = c.S.Eip;
        c.Push32(ret);
        c.S.Eip = ret + (uint)i.Imm;
    }

    private static void HRet(X86Cpu c, in Instr i)
    {
        uint esp = c.R32(Reg.Esp);
        uint p = c.FastStackPhys(esp, c._tlbRead);
        if (p != NoFast)
        {
            c.S.Eip = c.Ram32(p);
            c.R32(Reg.Esp) = esp + 4;
            return;
        }
        RetSlow(c, in i);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RetSlow(X86Cpu c, in Instr i) => c.S.Eip = c.Pop32();

    private static void HPushImm(X86Cpu c, in Instr i) => c.Push32((uint)i.Imm);

    // ---- byte forms common in string and parser code ----
    private static void HMov8Load<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.SetReg(i.RegField, 0, c.Read8(LinOf<TA>(c, in i)));

    private static void HMov8Store<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.Write8(LinOf<TA>(c, in i), (byte)c.GetReg(i.RegField, 0));

    private static void HCmp8MemImm<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint a = c.Read8(LinOf<TA>(c, in i)), b = (uint)i.Imm & 0xFF;
        c.SetLazy(LazyOp.Sub, 0, a, b, (a - b) & 0xFF);
    }

    private static void HCmp8RegImm(X86Cpu c, in Instr i)
    {
        uint a = c.GetReg(i.Rm, 0), b = (uint)i.Imm & 0xFF;
        c.SetLazy(LazyOp.Sub, 0, a, b, (a - b) & 0xFF);
    }

    private static void HTest8RegReg(X86Cpu c, in Instr i) => c.SetLazy(LazyOp.Logic, 0, 0, 0, c.GetReg(i.Rm, 0) & c.GetReg(i.RegField, 0));

    // ---- group 5 (FF): indirect calls and jumps, PUSH r/m32, INC/DEC m32 ----
    private static void HCallReg(X86Cpu c, in Instr i)
    {
        uint t = c.S.R[i.Rm];
        c.Push32(c.S.Eip);
        c.S.Eip = t;
    }

    private static void HCallMem<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint t = c.Read32(LinOf<TA>(c, in i));
        c.Push32(c.S.Eip);
        c.S.Eip = t;
    }

    private static void HJmpReg(X86Cpu c, in Instr i) => c.S.Eip = c.S.R[i.Rm];

    private static void HJmpMem<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.S.Eip = c.Read32(LinOf<TA>(c, in i));

    private static void HPushMem<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.Push32(c.Read32(LinOf<TA>(c, in i)));

    private static void HIncMem<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint lin = LinOf<TA>(c, in i);
        uint a = c.Read32(lin);
        bool cf = c.GetCF();
        c.Write32(lin, a + 1);
        c.SetLazy(LazyOp.Inc, 2, a, 1, a + 1);
        c._lazyCf = cf;
    }

    private static void HDecMem<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint lin = LinOf<TA>(c, in i);
        uint a = c.Read32(lin);
        bool cf = c.GetCF();
        c.Write32(lin, a - 1);
        c.SetLazy(LazyOp.Dec, 2, a, 1, a - 1);
        c._lazyCf = cf;
    }

    // ---- 16-bit moves (operand-size prefix) ----
    private static void HMov16Load<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr
    {
        uint v = c.Read16(LinOf<TA>(c, in i));
        c.S.R[i.RegField] = (c.S.R[i.RegField] & 0xFFFF0000) | v;
    }

    private static void HMov16Store<TA>(X86Cpu c, in Instr i) where TA : struct, IAddr => c.Write16(LinOf<TA>(c, in i), (ushort)c.S.R[i.RegField]);
}
