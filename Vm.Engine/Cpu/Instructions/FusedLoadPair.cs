using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Cpu;

// Load-then-move fusion: "mov r1,[b1+d1]" followed by another 32-bit [base+disp] move, a load
// "mov r2,[b2+d2]" or a store "mov [b2+d2],r2" (register-starved i386 code shuffles its locals
// through the stack in such pairs: sha256's round has six). Both halves can fault, so the
// handler runs them in order and moves _instrStart to the second instruction once the first is
// done: a fault in the second half then reports the second instruction's EIP with the first one
// retired, exactly as two slots would (exception tables and restarts see no difference). The
// first half is always a load because a store could rewrite the code of the second half, which
// a single slot could not notice. Block-only; Differential/FusedLoadDifferentialTests runs such
// pairs against the host, including a second half that faults.
public sealed unsafe partial class X86Cpu
{
    // The fused slot: Op = the first instruction's length, ModRm = reg2 << 3 | reg1, the first
    // operand in Seg/Base/Disp, the second's base in Index, its segment in Scale, its disp in Imm.
    private static void HLoadThenLoad(X86Cpu c, in Instr i)
    {
        uint p = c.FastPhysAt(c.R32(i.Base) + (uint)i.Disp, i.Seg, c._tlbRead, 4);
        if (p == NoFast) { MovePairSlow(c, in i, store: false); return; }
        c.R32(i.Rm) = c.Ram32(p);
        uint q = c.FastPhysAt(c.R32(i.Index) + (uint)i.Imm, i.Scale, c._tlbRead, 4);
        if (q == NoFast) { SecondMoveSlow(c, in i, store: false); return; }
        c.R32(i.RegField) = c.Ram32(q);
        c.InstructionCount++;
    }

    private static void HLoadThenStore(X86Cpu c, in Instr i)
    {
        uint p = c.FastPhysAt(c.R32(i.Base) + (uint)i.Disp, i.Seg, c._tlbRead, 4);
        if (p == NoFast) { MovePairSlow(c, in i, store: true); return; }
        c.R32(i.Rm) = c.Ram32(p);
        uint q = c.FastPhysAt(c.R32(i.Index) + (uint)i.Imm, i.Scale, c._tlbWrite, 4);
        if (q == NoFast) { SecondMoveSlow(c, in i, store: true); return; }
        c.Ram32(q) = c.R32(i.RegField);
        c.InstructionCount++;
    }

    /// <summary>The first half through the checked path, then the second.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MovePairSlow(X86Cpu c, in Instr i, bool store)
    {
        var first = new Instr(0x8B, (byte)i.Op, Pfx.Mem, (byte)(0x80 | (i.Rm << 3) | (i.Base & 7)), i.Seg, i.Base, Instr.NoReg, 0, i.Disp, 0, 0);
        MovLoadSlow<ABase>(c, in first);
        SecondMoveSlow(c, in i, store);
    }

    /// <summary>The second half through the checked path, with faults reported at its own EIP.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SecondMoveSlow(X86Cpu c, in Instr i, bool store)
    {
        c._instrStart += (uint)i.Op;
        var second = new Instr(store ? (ushort)0x89 : (ushort)0x8B, (byte)(i.Len - i.Op), Pfx.Mem,
            (byte)(0x80 | (i.RegField << 3) | (i.Index & 7)), i.Scale, i.Index, Instr.NoReg, 0, i.Imm, 0, 0);
        if (store) MovStoreSlow<ABase>(c, in second);
        else MovLoadSlow<ABase>(c, in second);
        c.InstructionCount++;
    }

    private static bool IsBaseDispMove(in Instr m) =>
        m.IsMem && (m.Pfx & ~(Pfx.Mem | Pfx.SegOverride)) == 0 && m.Base != Instr.NoReg && m.Index == Instr.NoReg;

    private static bool TryFuseLoadPair(Instr first, Instr second, out Slot fused)
    {
        fused = default;
        if (first.Op != 0x8B || second.Op is not (0x8B or 0x89) || !IsBaseDispMove(in first) || !IsBaseDispMove(in second)) return false;
        if (first.Len + second.Len > 255) return false;
        fused = new Slot
        {
            Fn = second.Op == 0x8B ? (nint)(delegate*<X86Cpu, in Instr, void>)&HLoadThenLoad : (nint)(delegate*<X86Cpu, in Instr, void>)&HLoadThenStore,
            I = new Instr(first.Len, (byte)(first.Len + second.Len), Pfx.Mem, (byte)(0xC0 | (second.RegField << 3) | first.RegField),
                first.Seg, first.Base, second.Base, second.Seg, first.Disp, second.Disp, 0),
        };
        return true;
    }
}
