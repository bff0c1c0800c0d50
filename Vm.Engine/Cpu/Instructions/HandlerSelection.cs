using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Cpu;

/// <summary>Chooses each decoded instruction's handler: a specialized form (Specialized.cs) when there is one.</summary>
public sealed unsafe partial class X86Cpu
{
    private enum AddrKind { Base, BaseIndex, Index, Disp }

    /// <summary>The handler for a decoded instruction: a specialized one when its form has one.</summary>
    internal static delegate*<X86Cpu, in Instr, void> HandlerFor(in Instr i)
    {
        var h = SpecializedFor(in i);
        return h != null ? h : HandlerFor(i.Op);
    }

    private static AddrKind KindOf(in Instr i) => (i.Base != Instr.NoReg, i.Index != Instr.NoReg) switch
    {
        (true, false) => AddrKind.Base,
        (true, true) => AddrKind.BaseIndex,
        (false, true) => AddrKind.Index,
        _ => AddrKind.Disp,
    };

    private static delegate*<X86Cpu, in Instr, void> SpecializedFor(in Instr i)
    {
        if ((i.Pfx & (Pfx.A16 | Pfx.Lock | Pfx.Rep | Pfx.Repne)) != 0 || i.Op == Decoder.Undefined) return null;
        int op = i.Op;
        bool mem = i.IsMem;
        int am = mem ? (int)KindOf(in i) : 0;
        if ((i.Pfx & Pfx.O16) != 0)
        {
            return op switch
            {
                0x8B when mem => Mov16Load[am],
                0x89 when mem => Mov16Store[am],
                _ => null,
            };
        }
        switch (op)
        {
            case 0x01: case 0x09: case 0x21: case 0x29: case 0x31: case 0x39: case 0x85:
            {
                int t = op == 0x85 ? 7 : AluIndex(op >> 3);
                return mem ? AluMemReg[t][am] : AluRmReg[t];
            }
            case 0x03: case 0x0B: case 0x23: case 0x2B: case 0x33: case 0x3B:
            {
                int t = AluIndex(op >> 3);
                return mem ? AluRegMem[t][am] : AluRegRm[t];
            }
            case 0x05: case 0x0D: case 0x25: case 0x2D: case 0x35: case 0x3D:
                return AluEaxImm[AluIndex(op >> 3)];
            case 0x81: case 0x83:
            {
                int t = AluIndex(i.RegField);
                if (t < 0) return null;
                return mem ? AluMemImm[t][am] : AluRmImm[t];
            }
            case 0x89: return mem ? MovStore[am] : &HMov89Reg;
            case 0x8B: return mem ? MovLoad[am] : &HMov8BReg;
            case 0xC7: return mem ? MovStoreImm[am] : &HMovRmImm;
            case >= 0xB8 and <= 0xBF: return &HMovRegImm;
            case 0x8D: return mem ? Lea[am] : null;
            case 0x1B6: return mem ? Movzx8Load[am] : &HMovzx8Reg;
            case 0x1B7: return mem ? Movzx16Load[am] : &HMovzx16Reg;
            case >= 0x40 and <= 0x47: return &HInc32;
            case >= 0x48 and <= 0x4F: return &HDec32;
            case >= 0x50 and <= 0x57: return &HPush32;
            case >= 0x58 and <= 0x5F: return &HPop32;
            case >= 0x70 and <= 0x7F: return Jcc[op & 15];
            case >= 0x180 and <= 0x18F: return Jcc[op & 15];
            case 0xE9: case 0xEB: return &HJmpRel;
            case >= 0x140 and <= 0x14F: return mem ? (am == (int)AddrKind.Base ? CmovMemBase[op & 15] : null) : Cmov[op & 15];
            case 0xC1:
                if (mem || (i.Imm & 31) == 0) return null;
                return ShiftImm[i.RegField];
            case 0xD1: return mem ? null : ShiftOne[i.RegField];
            case 0xD3: return mem ? null : ShiftCl[i.RegField];
            case 0x69: case 0x6B: return mem ? ImulMemImm[am] : &HImulRegRmImm;
            case 0x1AF: return mem ? null : &HImulRegRm;
            case 0xE8: return &HCallRel;
            case 0xC3: return &HRet;
            case 0x68: case 0x6A: return &HPushImm;
            case 0x8A: return mem ? Mov8Load[am] : null;
            case 0x88: return mem ? Mov8Store[am] : null;
            case 0x80: case 0x82: return i.RegField != 7 ? null : mem ? Cmp8MemImm[am] : &HCmp8RegImm;
            case 0x84: return mem ? null : &HTest8RegReg;
            case 0xFF:
                return i.RegField switch
                {
                    0 when mem => IncMem[am],
                    1 when mem => DecMem[am],
                    2 => mem ? CallMem[am] : &HCallReg,
                    4 => mem ? JmpMem[am] : &HJmpReg,
                    6 when mem => PushMem[am],
                    _ => null,
                };
        }
        return null;
    }

    /// <summary>ALU operation (ADD OR ADC SBB AND SUB XOR CMP) to the index of the tables below; -1 for ADC/SBB.</summary>
    private static int AluIndex(int aop) => aop switch { 0 => 0, 1 => 1, 4 => 2, 5 => 3, 6 => 4, 7 => 5, _ => -1 };

    private static void HMov89Reg(X86Cpu c, in Instr i) => c.S.R[i.Rm] = c.S.R[i.RegField];
    private static void HMov8BReg(X86Cpu c, in Instr i) => c.S.R[i.RegField] = c.S.R[i.Rm];

    // Tables: [operation: add or and sub xor cmp (test)] and [addressing: base, base+index, index, disp].
    private static readonly delegate*<X86Cpu, in Instr, void>[] AluRmReg =
        [&HAluRmReg<Add32>, &HAluRmReg<Or32>, &HAluRmReg<And32>, &HAluRmReg<Sub32>, &HAluRmReg<Xor32>, &HAluRmReg<Cmp32>, null, &HAluRmReg<Test32>];

    private static readonly delegate*<X86Cpu, in Instr, void>[] AluRegRm =
        [&HAluRegRm<Add32>, &HAluRegRm<Or32>, &HAluRegRm<And32>, &HAluRegRm<Sub32>, &HAluRegRm<Xor32>, &HAluRegRm<Cmp32>];

    private static readonly delegate*<X86Cpu, in Instr, void>[] AluRmImm =
        [&HAluRmImm<Add32>, &HAluRmImm<Or32>, &HAluRmImm<And32>, &HAluRmImm<Sub32>, &HAluRmImm<Xor32>, &HAluRmImm<Cmp32>];

    private static readonly delegate*<X86Cpu, in Instr, void>[] AluEaxImm =
        [&HAluEaxImm<Add32>, &HAluEaxImm<Or32>, &HAluEaxImm<And32>, &HAluEaxImm<Sub32>, &HAluEaxImm<Xor32>, &HAluEaxImm<Cmp32>];

    private static readonly delegate*<X86Cpu, in Instr, void>[][] AluMemReg =
    [
        [&HAluMemReg<Add32, ABase>, &HAluMemReg<Add32, ABaseIndex>, &HAluMemReg<Add32, AIndex>, &HAluMemReg<Add32, ADisp>],
        [&HAluMemReg<Or32, ABase>, &HAluMemReg<Or32, ABaseIndex>, &HAluMemReg<Or32, AIndex>, &HAluMemReg<Or32, ADisp>],
        [&HAluMemReg<And32, ABase>, &HAluMemReg<And32, ABaseIndex>, &HAluMemReg<And32, AIndex>, &HAluMemReg<And32, ADisp>],
        [&HAluMemReg<Sub32, ABase>, &HAluMemReg<Sub32, ABaseIndex>, &HAluMemReg<Sub32, AIndex>, &HAluMemReg<Sub32, ADisp>],
        [&HAluMemReg<Xor32, ABase>, &HAluMemReg<Xor32, ABaseIndex>, &HAluMemReg<Xor32, AIndex>, &HAluMemReg<Xor32, ADisp>],
        [&HAluMemReg<Cmp32, ABase>, &HAluMemReg<Cmp32, ABaseIndex>, &HAluMemReg<Cmp32, AIndex>, &HAluMemReg<Cmp32, ADisp>],
        [],
        [&HAluMemReg<Test32, ABase>, &HAluMemReg<Test32, ABaseIndex>, &HAluMemReg<Test32, AIndex>, &HAluMemReg<Test32, ADisp>],
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[][] AluRegMem =
    [
        [&HAluRegMem<Add32, ABase>, &HAluRegMem<Add32, ABaseIndex>, &HAluRegMem<Add32, AIndex>, &HAluRegMem<Add32, ADisp>],
        [&HAluRegMem<Or32, ABase>, &HAluRegMem<Or32, ABaseIndex>, &HAluRegMem<Or32, AIndex>, &HAluRegMem<Or32, ADisp>],
        [&HAluRegMem<And32, ABase>, &HAluRegMem<And32, ABaseIndex>, &HAluRegMem<And32, AIndex>, &HAluRegMem<And32, ADisp>],
        [&HAluRegMem<Sub32, ABase>, &HAluRegMem<Sub32, ABaseIndex>, &HAluRegMem<Sub32, AIndex>, &HAluRegMem<Sub32, ADisp>],
        [&HAluRegMem<Xor32, ABase>, &HAluRegMem<Xor32, ABaseIndex>, &HAluRegMem<Xor32, AIndex>, &HAluRegMem<Xor32, ADisp>],
        [&HAluRegMem<Cmp32, ABase>, &HAluRegMem<Cmp32, ABaseIndex>, &HAluRegMem<Cmp32, AIndex>, &HAluRegMem<Cmp32, ADisp>],
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[][] AluMemImm =
    [
        [&HAluMemImm<Add32, ABase>, &HAluMemImm<Add32, ABaseIndex>, &HAluMemImm<Add32, AIndex>, &HAluMemImm<Add32, ADisp>],
        [&HAluMemImm<Or32, ABase>, &HAluMemImm<Or32, ABaseIndex>, &HAluMemImm<Or32, AIndex>, &HAluMemImm<Or32, ADisp>],
        [&HAluMemImm<And32, ABase>, &HAluMemImm<And32, ABaseIndex>, &HAluMemImm<And32, AIndex>, &HAluMemImm<And32, ADisp>],
        [&HAluMemImm<Sub32, ABase>, &HAluMemImm<Sub32, ABaseIndex>, &HAluMemImm<Sub32, AIndex>, &HAluMemImm<Sub32, ADisp>],
        [&HAluMemImm<Xor32, ABase>, &HAluMemImm<Xor32, ABaseIndex>, &HAluMemImm<Xor32, AIndex>, &HAluMemImm<Xor32, ADisp>],
        [&HAluMemImm<Cmp32, ABase>, &HAluMemImm<Cmp32, ABaseIndex>, &HAluMemImm<Cmp32, AIndex>, &HAluMemImm<Cmp32, ADisp>],
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[] MovLoad = [&HMovLoad<ABase>, &HMovLoad<ABaseIndex>, &HMovLoad<AIndex>, &HMovLoad<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] MovStore = [&HMovStore<ABase>, &HMovStore<ABaseIndex>, &HMovStore<AIndex>, &HMovStore<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] MovStoreImm = [&HMovStoreImm<ABase>, &HMovStoreImm<ABaseIndex>, &HMovStoreImm<AIndex>, &HMovStoreImm<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] Movzx8Load = [&HMovzx8Load<ABase>, &HMovzx8Load<ABaseIndex>, &HMovzx8Load<AIndex>, &HMovzx8Load<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] Movzx16Load = [&HMovzx16Load<ABase>, &HMovzx16Load<ABaseIndex>, &HMovzx16Load<AIndex>, &HMovzx16Load<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] Lea = [&HLea<ABase>, &HLea<ABaseIndex>, &HLea<AIndex>, &HLea<ADisp>];

    private static readonly delegate*<X86Cpu, in Instr, void>[] Jcc =
    [
        &HJcc<CcO>, &HJcc<CcNO>, &HJcc<CcB>, &HJcc<CcAE>, &HJcc<CcZ>, &HJcc<CcNZ>, &HJcc<CcBE>, &HJcc<CcA>,
        &HJcc<CcS>, &HJcc<CcNS>, &HJcc<CcP>, &HJcc<CcNP>, &HJcc<CcL>, &HJcc<CcGE>, &HJcc<CcLE>, &HJcc<CcG>,
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[] Cmov =
    [
        &HCmovReg<CcO>, &HCmovReg<CcNO>, &HCmovReg<CcB>, &HCmovReg<CcAE>, &HCmovReg<CcZ>, &HCmovReg<CcNZ>, &HCmovReg<CcBE>, &HCmovReg<CcA>,
        &HCmovReg<CcS>, &HCmovReg<CcNS>, &HCmovReg<CcP>, &HCmovReg<CcNP>, &HCmovReg<CcL>, &HCmovReg<CcGE>, &HCmovReg<CcLE>, &HCmovReg<CcG>,
    ];

    // Group 2 by ModRM.reg: ROL ROR (RCL RCR: generic) SHL SHR SAL(=SHL) SAR.
    private static readonly delegate*<X86Cpu, in Instr, void>[] ShiftImm =
        [&HShiftImm<Rol32>, &HShiftImm<Ror32>, null, null, &HShiftImm<Shl32>, &HShiftImm<Shr32>, &HShiftImm<Shl32>, &HShiftImm<Sar32>];

    private static readonly delegate*<X86Cpu, in Instr, void>[] ShiftOne =
        [&HShiftOne<Rol32>, &HShiftOne<Ror32>, null, null, &HShiftOne<Shl32>, &HShiftOne<Shr32>, &HShiftOne<Shl32>, &HShiftOne<Sar32>];

    private static readonly delegate*<X86Cpu, in Instr, void>[] ShiftCl =
        [&HShiftCl<Rol32>, &HShiftCl<Ror32>, null, null, &HShiftCl<Shl32>, &HShiftCl<Shr32>, &HShiftCl<Shl32>, &HShiftCl<Sar32>];

    private static readonly delegate*<X86Cpu, in Instr, void>[] ImulMemImm = [&HImulRegMemImm<ABase>, &HImulRegMemImm<ABaseIndex>, &HImulRegMemImm<AIndex>, &HImulRegMemImm<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] Mov8Load = [&HMov8Load<ABase>, &HMov8Load<ABaseIndex>, &HMov8Load<AIndex>, &HMov8Load<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] Mov8Store = [&HMov8Store<ABase>, &HMov8Store<ABaseIndex>, &HMov8Store<AIndex>, &HMov8Store<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] Cmp8MemImm = [&HCmp8MemImm<ABase>, &HCmp8MemImm<ABaseIndex>, &HCmp8MemImm<AIndex>, &HCmp8MemImm<ADisp>];

    private static readonly delegate*<X86Cpu, in Instr, void>[] CmovMemBase =
    [
        &HCmovMem<CcO, ABase>, &HCmovMem<CcNO, ABase>, &HCmovMem<CcB, ABase>, &HCmovMem<CcAE, ABase>, &HCmovMem<CcZ, ABase>, &HCmovMem<CcNZ, ABase>, &HCmovMem<CcBE, ABase>, &HCmovMem<CcA, ABase>,
        &HCmovMem<CcS, ABase>, &HCmovMem<CcNS, ABase>, &HCmovMem<CcP, ABase>, &HCmovMem<CcNP, ABase>, &HCmovMem<CcL, ABase>, &HCmovMem<CcGE, ABase>, &HCmovMem<CcLE, ABase>, &HCmovMem<CcG, ABase>,
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[] IncMem = [&HIncMem<ABase>, &HIncMem<ABaseIndex>, &HIncMem<AIndex>, &HIncMem<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] DecMem = [&HDecMem<ABase>, &HDecMem<ABaseIndex>, &HDecMem<AIndex>, &HDecMem<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] CallMem = [&HCallMem<ABase>, &HCallMem<ABaseIndex>, &HCallMem<AIndex>, &HCallMem<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] JmpMem = [&HJmpMem<ABase>, &HJmpMem<ABaseIndex>, &HJmpMem<AIndex>, &HJmpMem<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] PushMem = [&HPushMem<ABase>, &HPushMem<ABaseIndex>, &HPushMem<AIndex>, &HPushMem<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] Mov16Load = [&HMov16Load<ABase>, &HMov16Load<ABaseIndex>, &HMov16Load<AIndex>, &HMov16Load<ADisp>];
    private static readonly delegate*<X86Cpu, in Instr, void>[] Mov16Store = [&HMov16Store<ABase>, &HMov16Store<ABaseIndex>, &HMov16Store<AIndex>, &HMov16Store<ADisp>];
}
