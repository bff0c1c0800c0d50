using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Cpu;

// Load-then-operate fusion: "mov r1,[mem]" followed by a register-only 32-bit ALU operation
// (ADD/OR/AND/SUB/XOR/CMP/TEST with two registers or a register and an immediate) runs as one
// slot, one dispatch instead of two. i386 code has few registers, so a load from the stack right
// before the operation that uses it is the commonest pair in compiled code (BusyBox's sha256
// round: mov 0xc(%esp),%edi; and %edi,%esi). Only the load can fault, and it runs first, before
// anything is written, so a fault restarts the pair at the load as a single step would. The
// handler counts the second instruction itself, as the copy-then-operate fusion does.
// Block-only; Differential/FusedLoadDifferentialTests runs such pairs against the host.
public sealed unsafe partial class X86Cpu
{
    // The fused slot: the load's memory operand (Seg/Base/Index/Scale/Disp), the operation's
    // ModRM (normalized to "r/m op= reg"), its immediate in Imm, and the loaded register in Imm2.
    private static void HLoadThenAlu<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        uint p = FastPhys<TA>(c, in i, c._tlbRead, 4);
        if (p == NoFast)
        {
            LoadThenAluSlow<T, TA>(c, in i);
            return;
        }
        c.R32(i.Imm2) = c.Ram32(p);
        uint r = T.Do(c, c.R32(i.Rm), c.R32(i.RegField));
        if (T.Writes) c.R32(i.Rm) = r;
        c.InstructionCount++;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadThenAluSlow<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        c.S.R[i.Imm2] = c.Read32(LinOf<TA>(c, in i));
        HAluRmReg<T>(c, in i);
        c.InstructionCount++;
    }

    private static void HLoadThenAluImm<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        uint p = FastPhys<TA>(c, in i, c._tlbRead, 4);
        if (p == NoFast)
        {
            LoadThenAluImmSlow<T, TA>(c, in i);
            return;
        }
        c.R32(i.Imm2) = c.Ram32(p);
        uint r = T.Do(c, c.R32(i.Rm), (uint)i.Imm);
        if (T.Writes) c.R32(i.Rm) = r;
        c.InstructionCount++;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LoadThenAluImmSlow<T, TA>(X86Cpu c, in Instr i) where T : struct, IAlu32 where TA : struct, IAddr
    {
        c.S.R[i.Imm2] = c.Read32(LinOf<TA>(c, in i));
        HAluRmImm<T>(c, in i);
        c.InstructionCount++;
    }

    // [operation: add or and sub xor cmp (unused) test][addressing: base, base+index]
    private static readonly delegate*<X86Cpu, in Instr, void>[][] LoadThenAlu =
    [
        [&HLoadThenAlu<Add32, ABase>, &HLoadThenAlu<Add32, ABaseIndex>],
        [&HLoadThenAlu<Or32, ABase>, &HLoadThenAlu<Or32, ABaseIndex>],
        [&HLoadThenAlu<And32, ABase>, &HLoadThenAlu<And32, ABaseIndex>],
        [&HLoadThenAlu<Sub32, ABase>, &HLoadThenAlu<Sub32, ABaseIndex>],
        [&HLoadThenAlu<Xor32, ABase>, &HLoadThenAlu<Xor32, ABaseIndex>],
        [&HLoadThenAlu<Cmp32, ABase>, &HLoadThenAlu<Cmp32, ABaseIndex>],
        [],
        [&HLoadThenAlu<Test32, ABase>, &HLoadThenAlu<Test32, ABaseIndex>],
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[][] LoadThenAluImm =
    [
        [&HLoadThenAluImm<Add32, ABase>, &HLoadThenAluImm<Add32, ABaseIndex>],
        [&HLoadThenAluImm<Or32, ABase>, &HLoadThenAluImm<Or32, ABaseIndex>],
        [&HLoadThenAluImm<And32, ABase>, &HLoadThenAluImm<And32, ABaseIndex>],
        [&HLoadThenAluImm<Sub32, ABase>, &HLoadThenAluImm<Sub32, ABaseIndex>],
        [&HLoadThenAluImm<Xor32, ABase>, &HLoadThenAluImm<Xor32, ABaseIndex>],
        [&HLoadThenAluImm<Cmp32, ABase>, &HLoadThenAluImm<Cmp32, ABaseIndex>],
    ];

    private static bool TryFuseLoad(Instr mov, Instr op, out Slot fused)
    {
        fused = default;
        // The load: MOV r32,[base(+index*scale)+disp] with 32-bit addressing, no other prefix.
        if (mov.Op != 0x8B || (mov.Pfx & ~(Pfx.Mem | Pfx.SegOverride)) != 0 || !mov.IsMem || mov.Base == Instr.NoReg) return false;
        if (op.Pfx != 0 || op.ModRm < 0xC0 || mov.Len + op.Len > 255) return false;
        int am = mov.Index == Instr.NoReg ? 0 : 1;
        delegate*<X86Cpu, in Instr, void> h;
        byte modrm = op.ModRm;
        int imm = 0;
        switch (op.Op)
        {
            case 0x01 or 0x09 or 0x21 or 0x29 or 0x31 or 0x39 or 0x85:
                h = LoadThenAlu[op.Op == 0x85 ? 7 : AluIndex(op.Op >> 3)][am];
                break;
            case 0x03 or 0x0B or 0x23 or 0x2B or 0x33 or 0x3B:
                // "op r, r/m" as "op r/m, r" with the fields swapped: the same operands in the same order.
                modrm = (byte)(0xC0 | (op.Rm << 3) | op.RegField);
                h = LoadThenAlu[AluIndex(op.Op >> 3)][am];
                break;
            case 0x81 or 0x83:
            {
                int t = AluIndex(op.RegField);
                if (t < 0) return false;
                h = LoadThenAluImm[t][am];
                imm = op.Imm;
                break;
            }
            default: return false;
        }
        fused = new Slot
        {
            Fn = (nint)h,
            I = new Instr(op.Op, (byte)(mov.Len + op.Len), mov.Pfx, modrm, mov.Seg, mov.Base, mov.Index, mov.Scale, mov.Disp, imm, mov.RegField),
        };
        return true;
    }
}
