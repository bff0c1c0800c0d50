using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Cpu;

// Load-then-operate-on-memory fusion: "mov r1,[b1+d1]" followed by a 32-bit ALU operation with
// a memory source, "op r2,[mem]" (ADD/OR/AND/SUB/XOR/CMP), runs as one slot. sha256's round adds
// its constant through a pointer it has just loaded from the frame (mov 0x38(%esp),%esi; add
// -0x5b07c(%esi,%ebp,8),%edx), and its message schedule sums two words the same way. Both halves
// can fault, so they run in order, and the second half's slow path moves _instrStart past the
// load first: a fault there reports the operation's EIP with the load retired, as two slots
// would. The first half is a load, so it cannot rewrite the second half's code. Block-only;
// Differential/FusedLoadDifferentialTests covers it, faults in either half included.
public sealed unsafe partial class X86Cpu
{
    // The fused slot: the operation's memory operand in Seg/Base/Index/Scale/Disp (so the
    // addressing forms apply unchanged), the load's displacement in Imm, its register and base in
    // ModRm (reg1 << 3 | base1), and in Imm2 the operation's register, the load's segment << 4 and
    // the load's length << 8.
    private static void HLoadThenAluMem<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        uint p = c.FastPhysAt(c.R32(i.ModRm & 7) + (uint)i.Imm, (i.Imm2 >> 4) & 15, c._tlbRead, 4);
        if (p == NoFast) { LoadThenAluMemSlow<T, TA>(c, in i); return; }
        c.R32((i.ModRm >> 3) & 7) = c.Ram32(p);
        uint q = FastPhys<TA>(c, in i, c._tlbRead, 4);
        if (q == NoFast) { AluMemHalfSlow<T, TA>(c, in i); return; }
        int r2 = i.Imm2 & 7;
        uint r = T.Do(c, c.R32(r2), c.Ram32(q));
        if (T.Writes) c.R32(r2) = r;
        c.InstructionCount++;
    }

    /// <summary>The load through the checked path, then the operation.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadThenAluMemSlow<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        int len1 = (i.Imm2 >> 8) & 0xFF, base1 = i.ModRm & 7, reg1 = (i.ModRm >> 3) & 7;
        var load = new Instr(0x8B, (byte)len1, Pfx.Mem, (byte)(0x80 | (reg1 << 3) | base1), (byte)((i.Imm2 >> 4) & 15), (byte)base1, Instr.NoReg, 0, i.Imm, 0, 0);
        MovLoadSlow<ABase>(c, in load);
        AluMemHalfSlow<T, TA>(c, in i);
    }

    /// <summary>The operation through the checked path, with a fault reported at its own EIP.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AluMemHalfSlow<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        c._instrStart += (uint)((i.Imm2 >> 8) & 0xFF);
        var op = new Instr(0x03, (byte)(i.Len - ((i.Imm2 >> 8) & 0xFF)), Pfx.Mem, (byte)(0x84 | ((i.Imm2 & 7) << 3)), i.Seg, i.Base, i.Index, i.Scale, i.Disp, 0, 0);
        AluRegMemSlow<T, TA>(c, in op);
        c.InstructionCount++;
    }

    // [operation: add or and sub xor cmp][addressing: base, base+index]
    private static readonly delegate*<X86Cpu, in Instr, void>[][] LoadThenAluMem =
    [
        [&HLoadThenAluMem<Add32, ABase>, &HLoadThenAluMem<Add32, ABaseIndex>],
        [&HLoadThenAluMem<Or32, ABase>, &HLoadThenAluMem<Or32, ABaseIndex>],
        [&HLoadThenAluMem<And32, ABase>, &HLoadThenAluMem<And32, ABaseIndex>],
        [&HLoadThenAluMem<Sub32, ABase>, &HLoadThenAluMem<Sub32, ABaseIndex>],
        [&HLoadThenAluMem<Xor32, ABase>, &HLoadThenAluMem<Xor32, ABaseIndex>],
        [&HLoadThenAluMem<Cmp32, ABase>, &HLoadThenAluMem<Cmp32, ABaseIndex>],
    ];

    private static bool TryFuseLoadThenAluMem(Instr mov, Instr op, out Slot fused)
    {
        fused = default;
        if (mov.Op != 0x8B || !IsBaseDispMove(in mov) || mov.Seg > 15) return false;
        if (op.Op is not (0x03 or 0x0B or 0x23 or 0x2B or 0x33 or 0x3B) || !op.IsMem
            || (op.Pfx & ~(Pfx.Mem | Pfx.SegOverride)) != 0 || op.Base == Instr.NoReg || mov.Len + op.Len > 255) return false;
        int t = AluIndex(op.Op >> 3);
        if (t < 0) return false;
        fused = new Slot
        {
            Fn = (nint)LoadThenAluMem[t][op.Index == Instr.NoReg ? 0 : 1],
            I = new Instr(op.Op, (byte)(mov.Len + op.Len), op.Pfx, (byte)((mov.RegField << 3) | mov.Base), op.Seg, op.Base, op.Index, op.Scale, op.Disp,
                mov.Disp, op.RegField | (mov.Seg << 4) | (mov.Len << 8)),
        };
        return true;
    }
}
