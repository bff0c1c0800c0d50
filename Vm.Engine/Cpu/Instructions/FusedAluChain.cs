using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Cpu;

// ALU-chain fusion: a register-only operation whose flags the next instruction overwrites,
// followed by a register-register 32-bit ALU operation, runs as one slot. Hash rounds are such
// chains: sha256's Σ1(e) is "mov e,t; ror t,11; xor s,t" (copy, rotate, combine) twice over, and
// Ch/Maj end in "xor a,b; add b,c". Three forms:
//   copy, shift/rotate by an immediate, ALU  (mov d,s; ror d,n; op x,y)
//   shift/rotate by an immediate, ALU        (shr d,n; op x,y)
//   ALU, ALU                                 (xor a,b; add b,c)
// The last ALU operation writes every arithmetic flag, so the earlier operations run without
// theirs (the NF operations of FlagLiveness.cs); the last one's flags follow the block's flag
// liveness like any other slot's. Register operands only: the slot cannot fault, so no fault
// needs an inner instruction's EIP. The handler counts the extra instructions itself, as the
// other fusions do. Block-only; Differential/FusedAluChainDifferentialTests runs such chains
// through the block loop against the host processor.
public sealed unsafe partial class X86Cpu
{
    // Slot layout: the first operation in Rm/RegField (ModRm) with the copy's source in Disp and
    // the shift count in Imm; the last ALU operation's ModRm (normalized to "r/m op= reg") in Imm2.
    private static void HCopyShiftThenAlu<TS, T>(X86Cpu c, in Instr i) where TS : struct, IShift32 where T : struct, IAlu32
    {
        c.R32(i.Rm) = TS.Do(c, c.R32(i.Disp), i.Imm & 31);
        LastAlu<T>(c, i.Imm2);
        c.InstructionCount += 2;
    }

    private static void HShiftThenAlu<TS, T>(X86Cpu c, in Instr i) where TS : struct, IShift32 where T : struct, IAlu32
    {
        c.R32(i.Rm) = TS.Do(c, c.R32(i.Rm), i.Imm & 31);
        LastAlu<T>(c, i.Imm2);
        c.InstructionCount++;
    }

    private static void HAluThenAlu<T1, T>(X86Cpu c, in Instr i) where T1 : struct, IAlu32 where T : struct, IAlu32
    {
        c.R32(i.Rm) = T1.Do(c, c.R32(i.Rm), c.R32(i.RegField));
        LastAlu<T>(c, i.Imm2);
        c.InstructionCount++;
    }

    private static void LastAlu<T>(X86Cpu c, int modrm) where T : struct, IAlu32
    {
        int rm = modrm & 7;
        uint r = T.Do(c, c.R32(rm), c.R32((modrm >> 3) & 7));
        if (T.Writes) c.R32(rm) = r;
    }

    /// <summary>
    /// A register-register 32-bit ALU operation as (operation index into the chain tables: add or
    /// and sub xor cmp test, ModRm as "r/m op= reg"), or false.
    /// </summary>
    private static bool IsAluRegReg(in Instr i, out int op, out byte modrm)
    {
        op = -1;
        modrm = i.ModRm;
        if (i.Pfx != 0 || i.ModRm < 0xC0) return false;
        switch (i.Op)
        {
            case 0x01 or 0x09 or 0x21 or 0x29 or 0x31 or 0x39: op = AluIndex(i.Op >> 3); break;
            case 0x85: op = 6; break;
            case 0x03 or 0x0B or 0x23 or 0x2B or 0x33 or 0x3B:
                op = AluIndex(i.Op >> 3);
                modrm = (byte)(0xC0 | (i.Rm << 3) | i.RegField); // "op r, r/m" as "op r/m, r"
                break;
        }
        return op >= 0;
    }

    /// <summary>A shift or rotate of a register by a nonzero immediate, as its index into the chain tables (rol ror shl shr sar), or -1.</summary>
    private static int ShiftImmIndex(in Instr i) =>
        i.Op == 0xC1 && i.Pfx == 0 && i.ModRm >= 0xC0 && (i.Imm & 31) != 0
            ? i.RegField switch { 0 => 0, 1 => 1, 4 or 6 => 2, 5 => 3, 7 => 4, _ => -1 }
            : -1;

    /// <summary>
    /// The fused slot for the chain starting at decoded[k], and how many instructions it takes
    /// (2 or 3), or 0 when none starts there.
    /// </summary>
    private static int TryFuseAluChain(List<Instr> decoded, int k, int count, out Slot fused)
    {
        fused = default;
        if (k + 1 >= count) return 0;
        Instr a = decoded[k], b = decoded[k + 1];
        int sh, op, first;
        byte modrm, firstModrm;
        // copy, shift, ALU
        if (k + 2 < count && a.Pfx == 0 && a.ModRm >= 0xC0 && a.Op is 0x89 or 0x8B && (sh = ShiftImmIndex(in b)) >= 0
            && IsAluRegReg(decoded[k + 2], out op, out modrm))
        {
            int dst = a.Op == 0x89 ? a.Rm : a.RegField, src = a.Op == 0x89 ? a.RegField : a.Rm;
            Instr c = decoded[k + 2];
            if (b.Rm == dst && a.Len + b.Len + c.Len <= 255)
            {
                fused = new Slot
                {
                    Fn = (nint)CopyShiftThenAlu[sh][op],
                    I = new Instr(c.Op, (byte)(a.Len + b.Len + c.Len), 0, (byte)(0xC0 | dst), 0, 0, 0, 0, src, b.Imm, modrm),
                };
                return 3;
            }
        }
        // shift, ALU
        if ((sh = ShiftImmIndex(in a)) >= 0 && IsAluRegReg(in b, out op, out modrm) && a.Len + b.Len <= 255)
        {
            fused = new Slot
            {
                Fn = (nint)ShiftThenAlu[sh][op],
                I = new Instr(b.Op, (byte)(a.Len + b.Len), 0, (byte)(0xC0 | a.Rm), 0, 0, 0, 0, 0, a.Imm, modrm),
            };
            return 2;
        }
        // ALU, ALU (the first one writes a register: CMP/TEST there would do nothing)
        if (IsAluRegReg(in a, out first, out firstModrm) && first <= 4 && IsAluRegReg(in b, out op, out modrm) && a.Len + b.Len <= 255)
        {
            fused = new Slot
            {
                Fn = (nint)AluThenAlu[first][op],
                I = new Instr(b.Op, (byte)(a.Len + b.Len), 0, firstModrm, 0, 0, 0, 0, 0, 0, modrm),
            };
            return 2;
        }
        return 0;
    }

    // [first: rol ror shl shr sar][last: add or and sub xor cmp test]; the shifts without flags.
    private static readonly delegate*<X86Cpu, in Instr, void>[][] CopyShiftThenAlu =
    [
        [&HCopyShiftThenAlu<Rol32NF, Add32>, &HCopyShiftThenAlu<Rol32NF, Or32>, &HCopyShiftThenAlu<Rol32NF, And32>, &HCopyShiftThenAlu<Rol32NF, Sub32>, &HCopyShiftThenAlu<Rol32NF, Xor32>, &HCopyShiftThenAlu<Rol32NF, Cmp32>, &HCopyShiftThenAlu<Rol32NF, Test32>],
        [&HCopyShiftThenAlu<Ror32NF, Add32>, &HCopyShiftThenAlu<Ror32NF, Or32>, &HCopyShiftThenAlu<Ror32NF, And32>, &HCopyShiftThenAlu<Ror32NF, Sub32>, &HCopyShiftThenAlu<Ror32NF, Xor32>, &HCopyShiftThenAlu<Ror32NF, Cmp32>, &HCopyShiftThenAlu<Ror32NF, Test32>],
        [&HCopyShiftThenAlu<Shl32NF, Add32>, &HCopyShiftThenAlu<Shl32NF, Or32>, &HCopyShiftThenAlu<Shl32NF, And32>, &HCopyShiftThenAlu<Shl32NF, Sub32>, &HCopyShiftThenAlu<Shl32NF, Xor32>, &HCopyShiftThenAlu<Shl32NF, Cmp32>, &HCopyShiftThenAlu<Shl32NF, Test32>],
        [&HCopyShiftThenAlu<Shr32NF, Add32>, &HCopyShiftThenAlu<Shr32NF, Or32>, &HCopyShiftThenAlu<Shr32NF, And32>, &HCopyShiftThenAlu<Shr32NF, Sub32>, &HCopyShiftThenAlu<Shr32NF, Xor32>, &HCopyShiftThenAlu<Shr32NF, Cmp32>, &HCopyShiftThenAlu<Shr32NF, Test32>],
        [&HCopyShiftThenAlu<Sar32NF, Add32>, &HCopyShiftThenAlu<Sar32NF, Or32>, &HCopyShiftThenAlu<Sar32NF, And32>, &HCopyShiftThenAlu<Sar32NF, Sub32>, &HCopyShiftThenAlu<Sar32NF, Xor32>, &HCopyShiftThenAlu<Sar32NF, Cmp32>, &HCopyShiftThenAlu<Sar32NF, Test32>],
    ];

    private static readonly delegate*<X86Cpu, in Instr, void>[][] ShiftThenAlu =
    [
        [&HShiftThenAlu<Rol32NF, Add32>, &HShiftThenAlu<Rol32NF, Or32>, &HShiftThenAlu<Rol32NF, And32>, &HShiftThenAlu<Rol32NF, Sub32>, &HShiftThenAlu<Rol32NF, Xor32>, &HShiftThenAlu<Rol32NF, Cmp32>, &HShiftThenAlu<Rol32NF, Test32>],
        [&HShiftThenAlu<Ror32NF, Add32>, &HShiftThenAlu<Ror32NF, Or32>, &HShiftThenAlu<Ror32NF, And32>, &HShiftThenAlu<Ror32NF, Sub32>, &HShiftThenAlu<Ror32NF, Xor32>, &HShiftThenAlu<Ror32NF, Cmp32>, &HShiftThenAlu<Ror32NF, Test32>],
        [&HShiftThenAlu<Shl32NF, Add32>, &HShiftThenAlu<Shl32NF, Or32>, &HShiftThenAlu<Shl32NF, And32>, &HShiftThenAlu<Shl32NF, Sub32>, &HShiftThenAlu<Shl32NF, Xor32>, &HShiftThenAlu<Shl32NF, Cmp32>, &HShiftThenAlu<Shl32NF, Test32>],
        [&HShiftThenAlu<Shr32NF, Add32>, &HShiftThenAlu<Shr32NF, Or32>, &HShiftThenAlu<Shr32NF, And32>, &HShiftThenAlu<Shr32NF, Sub32>, &HShiftThenAlu<Shr32NF, Xor32>, &HShiftThenAlu<Shr32NF, Cmp32>, &HShiftThenAlu<Shr32NF, Test32>],
        [&HShiftThenAlu<Sar32NF, Add32>, &HShiftThenAlu<Sar32NF, Or32>, &HShiftThenAlu<Sar32NF, And32>, &HShiftThenAlu<Sar32NF, Sub32>, &HShiftThenAlu<Sar32NF, Xor32>, &HShiftThenAlu<Sar32NF, Cmp32>, &HShiftThenAlu<Sar32NF, Test32>],
    ];

    // [first: add or and sub xor][last: add or and sub xor cmp test]; the first without flags.
    private static readonly delegate*<X86Cpu, in Instr, void>[][] AluThenAlu =
    [
        [&HAluThenAlu<Add32NF, Add32>, &HAluThenAlu<Add32NF, Or32>, &HAluThenAlu<Add32NF, And32>, &HAluThenAlu<Add32NF, Sub32>, &HAluThenAlu<Add32NF, Xor32>, &HAluThenAlu<Add32NF, Cmp32>, &HAluThenAlu<Add32NF, Test32>],
        [&HAluThenAlu<Or32NF, Add32>, &HAluThenAlu<Or32NF, Or32>, &HAluThenAlu<Or32NF, And32>, &HAluThenAlu<Or32NF, Sub32>, &HAluThenAlu<Or32NF, Xor32>, &HAluThenAlu<Or32NF, Cmp32>, &HAluThenAlu<Or32NF, Test32>],
        [&HAluThenAlu<And32NF, Add32>, &HAluThenAlu<And32NF, Or32>, &HAluThenAlu<And32NF, And32>, &HAluThenAlu<And32NF, Sub32>, &HAluThenAlu<And32NF, Xor32>, &HAluThenAlu<And32NF, Cmp32>, &HAluThenAlu<And32NF, Test32>],
        [&HAluThenAlu<Sub32NF, Add32>, &HAluThenAlu<Sub32NF, Or32>, &HAluThenAlu<Sub32NF, And32>, &HAluThenAlu<Sub32NF, Sub32>, &HAluThenAlu<Sub32NF, Xor32>, &HAluThenAlu<Sub32NF, Cmp32>, &HAluThenAlu<Sub32NF, Test32>],
        [&HAluThenAlu<Xor32NF, Add32>, &HAluThenAlu<Xor32NF, Or32>, &HAluThenAlu<Xor32NF, And32>, &HAluThenAlu<Xor32NF, Sub32>, &HAluThenAlu<Xor32NF, Xor32>, &HAluThenAlu<Xor32NF, Cmp32>, &HAluThenAlu<Xor32NF, Test32>],
    ];

    /// <summary>The chains' twins without the last operation's flags (for FlagLiveness.cs). Built
    /// from the handlers' addresses, not the tables, which may not be initialized yet.</summary>
    private static void AddAluChainTwins(Dictionary<nint, nint> map)
    {
        Shift<Rol32NF>(); Shift<Ror32NF>(); Shift<Shl32NF>(); Shift<Shr32NF>(); Shift<Sar32NF>();
        First<Add32NF>(); First<Or32NF>(); First<And32NF>(); First<Sub32NF>(); First<Xor32NF>();

        void Shift<TS>() where TS : struct, IShift32
        {
            AfterShift<TS, Add32, Add32NF>(); AfterShift<TS, Or32, Or32NF>(); AfterShift<TS, And32, And32NF>();
            AfterShift<TS, Sub32, Sub32NF>(); AfterShift<TS, Xor32, Xor32NF>();
        }

        void AfterShift<TS, T, TN>() where TS : struct, IShift32 where T : struct, IAlu32 where TN : struct, IAlu32
        {
            map[(nint)(delegate*<X86Cpu, in Instr, void>)&HCopyShiftThenAlu<TS, T>] = (nint)(delegate*<X86Cpu, in Instr, void>)&HCopyShiftThenAlu<TS, TN>;
            map[(nint)(delegate*<X86Cpu, in Instr, void>)&HShiftThenAlu<TS, T>] = (nint)(delegate*<X86Cpu, in Instr, void>)&HShiftThenAlu<TS, TN>;
        }

        void First<T1>() where T1 : struct, IAlu32
        {
            AfterAlu<T1, Add32, Add32NF>(); AfterAlu<T1, Or32, Or32NF>(); AfterAlu<T1, And32, And32NF>();
            AfterAlu<T1, Sub32, Sub32NF>(); AfterAlu<T1, Xor32, Xor32NF>();
        }

        void AfterAlu<T1, T, TN>() where T1 : struct, IAlu32 where T : struct, IAlu32 where TN : struct, IAlu32
            => map[(nint)(delegate*<X86Cpu, in Instr, void>)&HAluThenAlu<T1, T>] = (nint)(delegate*<X86Cpu, in Instr, void>)&HAluThenAlu<T1, TN>;
    }
}
