using System.Numerics;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

/// <summary>A condition evaluated straight from a comparison's operands (no flag state read).</summary>
internal interface IFusedCond
{
    /// <summary>After CMP a,b (r = a - b).</summary>
    static abstract bool Sub(uint a, uint b, uint r);
    /// <summary>After TEST (r = a &amp; b: CF = OF = 0).</summary>
    static abstract bool Logic(uint r);
}

// Compare-and-branch fusion: a block that ends with CMP/TEST followed by a 32-bit Jcc runs the
// pair as one slot. The comparison still records its lazy flags (code after the branch may
// read them); the branch decision comes from the operands. Chosen in the block decoder only
// (Step() runs the two instructions separately), so BlockDifferentialTests cover it.
public sealed unsafe partial class X86Cpu
{
    private struct FO : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (int)((a ^ b) & (a ^ r)) < 0; public static bool Logic(uint r) => false; }
    private struct FNO : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (int)((a ^ b) & (a ^ r)) >= 0; public static bool Logic(uint r) => true; }
    private struct FB : IFusedCond { public static bool Sub(uint a, uint b, uint r) => a < b; public static bool Logic(uint r) => false; }
    private struct FAE : IFusedCond { public static bool Sub(uint a, uint b, uint r) => a >= b; public static bool Logic(uint r) => true; }
    private struct FZ : IFusedCond { public static bool Sub(uint a, uint b, uint r) => a == b; public static bool Logic(uint r) => r == 0; }
    private struct FNZ : IFusedCond { public static bool Sub(uint a, uint b, uint r) => a != b; public static bool Logic(uint r) => r != 0; }
    private struct FBE : IFusedCond { public static bool Sub(uint a, uint b, uint r) => a <= b; public static bool Logic(uint r) => r == 0; }
    private struct FA : IFusedCond { public static bool Sub(uint a, uint b, uint r) => a > b; public static bool Logic(uint r) => r != 0; }
    private struct FS : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (int)r < 0; public static bool Logic(uint r) => (int)r < 0; }
    private struct FNS : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (int)r >= 0; public static bool Logic(uint r) => (int)r >= 0; }
    private struct FP : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (BitOperations.PopCount(r & 0xFF) & 1) == 0; public static bool Logic(uint r) => (BitOperations.PopCount(r & 0xFF) & 1) == 0; }
    private struct FNP : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (BitOperations.PopCount(r & 0xFF) & 1) != 0; public static bool Logic(uint r) => (BitOperations.PopCount(r & 0xFF) & 1) != 0; }
    private struct FL : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (int)a < (int)b; public static bool Logic(uint r) => (int)r < 0; }
    private struct FGE : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (int)a >= (int)b; public static bool Logic(uint r) => (int)r >= 0; }
    private struct FLE : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (int)a <= (int)b; public static bool Logic(uint r) => (int)r <= 0; }
    private struct FG : IFusedCond { public static bool Sub(uint a, uint b, uint r) => (int)a > (int)b; public static bool Logic(uint r) => (int)r > 0; }

    // Operands: the comparison's fields, normalized by FuseCompareBranch; Imm2 = branch displacement.
    private static void HCmpRegRegJcc<TC>(X86Cpu c, in Instr i) where TC : struct, IFusedCond
    {
        uint a = c.S.R[i.Rm], b = c.S.R[i.RegField], r = a - b;
        c.SetLazy(LazyOp.Sub, 2, a, b, r);
        if (TC.Sub(a, b, r)) c.S.Eip += (uint)i.Imm2;
    }

    private static void HCmpRegImmJcc<TC>(X86Cpu c, in Instr i) where TC : struct, IFusedCond
    {
        uint a = c.S.R[i.Rm], b = (uint)i.Imm, r = a - b;
        c.SetLazy(LazyOp.Sub, 2, a, b, r);
        if (TC.Sub(a, b, r)) c.S.Eip += (uint)i.Imm2;
    }

    private static void HCmpMemImmJcc<TC>(X86Cpu c, in Instr i) where TC : struct, IFusedCond
    {
        uint a = c.Read32(LinOf<ABase>(c, in i)), b = (uint)i.Imm, r = a - b;
        c.SetLazy(LazyOp.Sub, 2, a, b, r);
        if (TC.Sub(a, b, r)) c.S.Eip += (uint)i.Imm2;
    }

    private static void HCmpRegMemJcc<TC>(X86Cpu c, in Instr i) where TC : struct, IFusedCond
    {
        uint a = c.S.R[i.RegField], b = c.Read32(LinOf<ABase>(c, in i)), r = a - b;
        c.SetLazy(LazyOp.Sub, 2, a, b, r);
        if (TC.Sub(a, b, r)) c.S.Eip += (uint)i.Imm2;
    }

    private static void HCmpMemRegJcc<TC>(X86Cpu c, in Instr i) where TC : struct, IFusedCond
    {
        uint a = c.Read32(LinOf<ABase>(c, in i)), b = c.S.R[i.RegField], r = a - b;
        c.SetLazy(LazyOp.Sub, 2, a, b, r);
        if (TC.Sub(a, b, r)) c.S.Eip += (uint)i.Imm2;
    }

    private static void HTestRegRegJcc<TC>(X86Cpu c, in Instr i) where TC : struct, IFusedCond
    {
        uint r = c.S.R[i.Rm] & c.S.R[i.RegField];
        c.SetLazy(LazyOp.Logic, 2, 0, 0, r);
        if (TC.Logic(r)) c.S.Eip += (uint)i.Imm2;
    }

    /// <summary>
    /// The fused slot for a comparison followed by a conditional branch, or false when the pair
    /// has no fused form. The slot's instruction spans both (its length is the sum).
    /// </summary>
    private static bool TryFuseCompareBranch(Instr cmp, Instr jcc, out Slot fused)
    {
        fused = default;
        bool isJcc = jcc.Op is (>= 0x70 and <= 0x7F) or (>= 0x180 and <= 0x18F);
        const Pfx Unusual = Pfx.O16 | Pfx.A16 | Pfx.Lock | Pfx.Rep | Pfx.Repne;
        if (!isJcc || (jcc.Pfx & Unusual) != 0 || (cmp.Pfx & Unusual) != 0 || cmp.Op == Decoder.Undefined) return false;
        int cc = jcc.Op & 15;
        int len = cmp.Len + jcc.Len;
        if (len > 255) return false;
        bool mem = cmp.IsMem;
        bool baseDisp = mem && cmp.Base != Instr.NoReg && cmp.Index == Instr.NoReg;
        delegate*<X86Cpu, in Instr, void> h;
        byte modrm = cmp.ModRm;
        int imm = cmp.Imm;
        switch (cmp.Op)
        {
            case 0x39 when !mem: h = CmpRegRegJcc[cc]; break;
            case 0x3B when !mem:
                // CMP reg,rm compares reg - rm: swap the fields so Rm is the left operand.
                modrm = (byte)(0xC0 | ((cmp.ModRm & 7) << 3) | ((cmp.ModRm >> 3) & 7));
                h = CmpRegRegJcc[cc];
                break;
            case 0x39 when baseDisp: h = CmpMemRegJcc[cc]; break;
            case 0x3B when baseDisp: h = CmpRegMemJcc[cc]; break;
            case 0x81 or 0x83 when cmp.RegField == 7 && !mem: h = CmpRegImmJcc[cc]; break;
            case 0x81 or 0x83 when cmp.RegField == 7 && baseDisp: h = CmpMemImmJcc[cc]; break;
            case 0x3D: modrm = 0xF8; h = CmpRegImmJcc[cc]; break; // CMP EAX,imm32 as CMP r/m(EAX),imm
            case 0x85 when !mem: h = TestRegRegJcc[cc]; break;
            default: return false;
        }
        fused = new Slot
        {
            Fn = (nint)h,
            I = new Instr(cmp.Op, (byte)len, cmp.Pfx, modrm, cmp.Seg, cmp.Base, cmp.Index, cmp.Scale, cmp.Disp, imm, jcc.Imm),
        };
        return true;
    }

    private static readonly delegate*<X86Cpu, in Instr, void>[] CmpRegRegJcc =
    [
        &HCmpRegRegJcc<FO>, &HCmpRegRegJcc<FNO>, &HCmpRegRegJcc<FB>, &HCmpRegRegJcc<FAE>, &HCmpRegRegJcc<FZ>, &HCmpRegRegJcc<FNZ>, &HCmpRegRegJcc<FBE>, &HCmpRegRegJcc<FA>,
        &HCmpRegRegJcc<FS>, &HCmpRegRegJcc<FNS>, &HCmpRegRegJcc<FP>, &HCmpRegRegJcc<FNP>, &HCmpRegRegJcc<FL>, &HCmpRegRegJcc<FGE>, &HCmpRegRegJcc<FLE>, &HCmpRegRegJcc<FG>,
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[] CmpRegImmJcc =
    [
        &HCmpRegImmJcc<FO>, &HCmpRegImmJcc<FNO>, &HCmpRegImmJcc<FB>, &HCmpRegImmJcc<FAE>, &HCmpRegImmJcc<FZ>, &HCmpRegImmJcc<FNZ>, &HCmpRegImmJcc<FBE>, &HCmpRegImmJcc<FA>,
        &HCmpRegImmJcc<FS>, &HCmpRegImmJcc<FNS>, &HCmpRegImmJcc<FP>, &HCmpRegImmJcc<FNP>, &HCmpRegImmJcc<FL>, &HCmpRegImmJcc<FGE>, &HCmpRegImmJcc<FLE>, &HCmpRegImmJcc<FG>,
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[] CmpMemImmJcc =
    [
        &HCmpMemImmJcc<FO>, &HCmpMemImmJcc<FNO>, &HCmpMemImmJcc<FB>, &HCmpMemImmJcc<FAE>, &HCmpMemImmJcc<FZ>, &HCmpMemImmJcc<FNZ>, &HCmpMemImmJcc<FBE>, &HCmpMemImmJcc<FA>,
        &HCmpMemImmJcc<FS>, &HCmpMemImmJcc<FNS>, &HCmpMemImmJcc<FP>, &HCmpMemImmJcc<FNP>, &HCmpMemImmJcc<FL>, &HCmpMemImmJcc<FGE>, &HCmpMemImmJcc<FLE>, &HCmpMemImmJcc<FG>,
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[] CmpRegMemJcc =
    [
        &HCmpRegMemJcc<FO>, &HCmpRegMemJcc<FNO>, &HCmpRegMemJcc<FB>, &HCmpRegMemJcc<FAE>, &HCmpRegMemJcc<FZ>, &HCmpRegMemJcc<FNZ>, &HCmpRegMemJcc<FBE>, &HCmpRegMemJcc<FA>,
        &HCmpRegMemJcc<FS>, &HCmpRegMemJcc<FNS>, &HCmpRegMemJcc<FP>, &HCmpRegMemJcc<FNP>, &HCmpRegMemJcc<FL>, &HCmpRegMemJcc<FGE>, &HCmpRegMemJcc<FLE>, &HCmpRegMemJcc<FG>,
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[] CmpMemRegJcc =
    [
        &HCmpMemRegJcc<FO>, &HCmpMemRegJcc<FNO>, &HCmpMemRegJcc<FB>, &HCmpMemRegJcc<FAE>, &HCmpMemRegJcc<FZ>, &HCmpMemRegJcc<FNZ>, &HCmpMemRegJcc<FBE>, &HCmpMemRegJcc<FA>,
        &HCmpMemRegJcc<FS>, &HCmpMemRegJcc<FNS>, &HCmpMemRegJcc<FP>, &HCmpMemRegJcc<FNP>, &HCmpMemRegJcc<FL>, &HCmpMemRegJcc<FGE>, &HCmpMemRegJcc<FLE>, &HCmpMemRegJcc<FG>,
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[] TestRegRegJcc =
    [
        &HTestRegRegJcc<FO>, &HTestRegRegJcc<FNO>, &HTestRegRegJcc<FB>, &HTestRegRegJcc<FAE>, &HTestRegRegJcc<FZ>, &HTestRegRegJcc<FNZ>, &HTestRegRegJcc<FBE>, &HTestRegRegJcc<FA>,
        &HTestRegRegJcc<FS>, &HTestRegRegJcc<FNS>, &HTestRegRegJcc<FP>, &HTestRegRegJcc<FNP>, &HTestRegRegJcc<FL>, &HTestRegRegJcc<FGE>, &HTestRegRegJcc<FLE>, &HTestRegRegJcc<FG>,
    ];
}
