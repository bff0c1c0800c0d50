using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Cpu;

// Copy-then-operate fusion: "mov d,s" followed by a register-only 32-bit ALU operation or a
// shift/rotate by an immediate on d (how compilers spell a three-operand operation on x86:
// mov esi,ecx; ror esi,6 — about a fifth of the instructions in BusyBox's sha256 round) runs as one slot, one
// dispatch instead of two. Register operands only, so the pair can never fault and no fault
// needs the second instruction's EIP. The extra instruction is counted by the handler itself,
// so InstructionCount stays exact wherever the block stops. Block-only, like compare-and-branch
// fusion: Differential/FusedCopyDifferentialTests runs such pairs through the block loop against
// the host processor.
public sealed unsafe partial class X86Cpu
{
    // The fused slot is the second instruction with Disp = the copy's source register.
    private static void HCopyThenAlu<T>(X86Cpu c, in Instr i) where T : struct, IAlu32
    {
        c.S.R[i.Rm] = c.S.R[i.Disp];
        HAluRmReg<T>(c, in i);
        c.InstructionCount++;
    }

    private static void HCopyThenShiftImm<TS>(X86Cpu c, in Instr i) where TS : struct, IShift32
    {
        c.S.R[i.Rm] = c.S.R[i.Disp];
        HShiftImm<TS>(c, in i);
        c.InstructionCount++;
    }

    private static void HCopyThenNot(X86Cpu c, in Instr i)
    {
        c.S.R[i.Rm] = ~c.S.R[i.Disp]; // NOT changes no flags
        c.InstructionCount++;
    }

    private static readonly delegate*<X86Cpu, in Instr, void>[] CopyThenAlu =
        [&HCopyThenAlu<Add32>, &HCopyThenAlu<Or32>, &HCopyThenAlu<And32>, &HCopyThenAlu<Sub32>, &HCopyThenAlu<Xor32>, null, null, null];

    private static readonly delegate*<X86Cpu, in Instr, void>[] CopyThenShiftImm =
        [&HCopyThenShiftImm<Rol32>, &HCopyThenShiftImm<Ror32>, null, null, &HCopyThenShiftImm<Shl32>, &HCopyThenShiftImm<Shr32>, &HCopyThenShiftImm<Shl32>, &HCopyThenShiftImm<Sar32>];

    private readonly List<Slot> _slotBuf = new(64);

    private readonly List<Slot> _moveData = new(32);
    private readonly List<int> _moveRuns = new(8);

    /// <summary>
    /// The slots for decoded instructions [0, count), fusing copy-then-operate pairs, followed by
    /// <paramref name="tail"/> when given (a fused compare-and-branch), then the move runs' data
    /// slots; <paramref name="last"/> is the index of the last slot the run loop executes.
    /// </summary>
    private Slot[] BuildSlots(List<Instr> decoded, int count, Slot? tail, out int last)
    {
        _slotBuf.Clear();
        _moveData.Clear();
        _moveRuns.Clear();
        bool[] dead = DeadFlags(decoded, count);
        for (int k = 0; k < count; k++)
        {
            Instr ins = decoded[k];
            int chain = TryFuseAluChain(decoded, k, count, out var chained);
            if (chain > 0)
            {
                // A chain's flags are its last instruction's.
                if (dead[k + chain - 1]) chained.Fn = WithoutFlags(chained.Fn);
                _slotBuf.Add(chained);
                k += chain - 1;
                continue;
            }
            if (TryFuseCopyThenLoad(decoded, k, count, out var triple))
            {
                if (dead[k + 2]) triple.Fn = WithoutFlags(triple.Fn);
                _slotBuf.Add(triple);
                k += 2;
                continue;
            }
            int moves = MoveRunLength(decoded, k, count);
            if (moves > 0)
            {
                MoveRunSlots(decoded, k, moves, _moveData, _slotBuf, _moveRuns);
                k += moves - 1;
                continue;
            }
            if (k + 1 < count && (TryFuseCopy(ins, decoded[k + 1], out var pair) || TryFuseLoad(ins, decoded[k + 1], out pair) || TryFuseLoadPair(ins, decoded[k + 1], out pair) || TryFuseLoadThenAluMem(ins, decoded[k + 1], out pair)))
            {
                // A fused pair's flags are its second instruction's.
                if (dead[k + 1]) pair.Fn = WithoutFlags(pair.Fn);
                _slotBuf.Add(pair);
                k++;
                continue;
            }
            nint fn = (nint)HandlerFor(in ins);
            _slotBuf.Add(new Slot { Fn = dead[k] ? WithoutFlags(fn) : fn, I = ins });
        }
        if (tail is { } t) _slotBuf.Add(t);
        last = _slotBuf.Count - 1;
        foreach (int r in _moveRuns)
        {
            // The run's distance to its data slots, which follow the executable ones.
            Slot run = _slotBuf[r];
            Instr ri = run.I;
            run.I = new Instr(ri.Op, ri.Len, ri.Pfx, ri.ModRm, ri.Seg, ri.Base, ri.Index, ri.Scale, last + 1 + ri.Disp - r, ri.Imm, ri.Imm2);
            _slotBuf[r] = run;
        }
        _slotBuf.AddRange(_moveData);
        return [.. _slotBuf];
    }

    private static bool TryFuseCopy(Instr mov, Instr op, out Slot fused)
    {
        fused = default;
        if (mov.Pfx != 0 || op.Pfx != 0 || mov.Len + op.Len > 255) return false;
        int dst, src;
        if (mov.Op == 0x89 && mov.ModRm >= 0xC0) { dst = mov.Rm; src = mov.RegField; }
        else if (mov.Op == 0x8B && mov.ModRm >= 0xC0) { dst = mov.RegField; src = mov.Rm; }
        else return false;
        if (op.ModRm < 0xC0) return false;
        delegate*<X86Cpu, in Instr, void> h;
        byte modrm = op.ModRm;
        switch (op.Op)
        {
            case 0x01 or 0x09 or 0x21 or 0x29 or 0x31 when op.Rm == dst:
                h = CopyThenAlu[AluIndex(op.Op >> 3)];
                break;
            case 0x03 or 0x0B or 0x23 or 0x2B or 0x33 when op.RegField == dst:
                // "op d, r" as "op r/m(d), r": the same operation with the fields swapped.
                modrm = (byte)(0xC0 | (op.Rm << 3) | dst);
                h = CopyThenAlu[AluIndex(op.Op >> 3)];
                break;
            case 0xF7 when op.Rm == dst && op.RegField == 2:
                h = &HCopyThenNot;
                break;
            case 0xC1 when op.Rm == dst && (op.Imm & 31) != 0:
                h = CopyThenShiftImm[op.RegField];
                break;
            default: return false;
        }
        if (h == null) return false;
        fused = new Slot
        {
            Fn = (nint)h,
            I = new Instr(op.Op, (byte)(mov.Len + op.Len), op.Pfx, modrm, op.Seg, op.Base, op.Index, op.Scale, src, op.Imm, op.Imm2),
        };
        return true;
    }
}
