using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Cpu;

// Move-run fusion: a run of 32-bit moves (register copies, [base+disp] loads and stores) runs as
// one slot per two to four moves. Register-starved i386 code rotates its working set through the stack frame in such
// runs: sha256's round ends with "mov esi,[esp+8]; mov [esp+0xc],esi; mov [esp+8],ecx; mov ecx,edi;
// mov edi,[esp]; mov [esp+4],edi; mov [esp],ebx; mov ebx,edx", seven slots before, two now. A
// store no longer ends what fusion can take (the other fusions start with a load or a register
// operation).
//
// The run's moves live in data slots after the block's last executable slot (Block.Last), in the
// same array, so the handler reaches them from its own slot by a fixed distance (no pinned memory,
// nothing to free: they die with the block). Every move can fault and every store can hit code:
//  - a fault: the slow twin runs the moves from the one that missed the fast path through the
//    checked paths with _instrStart at each move, so a fault reports that move's EIP with the
//    earlier ones retired, as separate slots would;
//  - a store into a decoded page (code pages have no fast write entries, so only the slow path
//    sees one) stops the block after the store: the handler sets StopRewind to the bytes of the
//    moves it did not run, and the run loop resumes at the next move, decoded afresh.
// The handler counts the instructions it ran beyond the first, as the other fusions do. No move
// changes flags. Block-only; Differential/FusedMoveRunDifferentialTests runs runs against the
// host, with faults in any move and a store that rewrites the next move.
public sealed unsafe partial class X86Cpu
{
    private const ushort MoveCopy = 0, MoveLoad = 1, MoveStore = 2;
    private const int MaxMoveRun = 16;

    /// <summary>Bytes of the stopped slot the run loop must not count as run (a move run stopped by a store into code).</summary>
    internal uint StopRewind;

    // The run slot: Disp = distance in slots to its first data slot, Imm = the number of moves.
    // A data slot: Op = kind, ModRm = the register moved, Base = the copy's source or the
    // address base, Seg/Disp the operand, Imm = the move's length (Len is 0: DecodeForJit sums
    // the slots' lengths). The handlers know their moves' kinds statically (a loop over kinds
    // read from the data was 10% slower on sha256 than the pairs it replaced: a mispredicted
    // branch per move), so a run is cut into chunks of two to four moves, one slot each.
    private interface IMove
    {
        /// <summary>Runs the move through its fast path, or returns false (nothing done) when it needs the checked one.</summary>
        static abstract bool Fast(X86Cpu c, in Instr m);
    }

    private struct MCopy : IMove
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Fast(X86Cpu c, in Instr m)
        {
            c.R32(m.ModRm) = c.R32(m.Base);
            return true;
        }
    }

    private struct MLoad : IMove
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Fast(X86Cpu c, in Instr m)
        {
            uint p = c.FastPhysAt(c.R32(m.Base) + (uint)m.Disp, m.Seg, c._tlbRead, 4);
            if (p == NoFast) return false;
            c.R32(m.ModRm) = c.Ram32(p);
            return true;
        }
    }

    private struct MStore : IMove
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool Fast(X86Cpu c, in Instr m)
        {
            uint p = c.FastPhysAt(c.R32(m.Base) + (uint)m.Disp, m.Seg, c._tlbWrite, 4);
            if (p == NoFast) return false;
            c.Ram32(p) = c.R32(m.ModRm);
            return true;
        }
    }

    private static void HMoves2<K1, K2>(X86Cpu c, in Instr i) where K1 : struct, IMove where K2 : struct, IMove
    {
        ref Instr m = ref SlotAfter(in i, i.Disp);
        if (!K1.Fast(c, in m)) { MoveRunSlow(c, in i, 0); return; }
        if (!K2.Fast(c, in SlotAfter(in m, 1))) { MoveRunSlow(c, in i, 1); return; }
        c.InstructionCount += 1;
    }

    private static void HMoves3<K1, K2, K3>(X86Cpu c, in Instr i) where K1 : struct, IMove where K2 : struct, IMove where K3 : struct, IMove
    {
        ref Instr m = ref SlotAfter(in i, i.Disp);
        if (!K1.Fast(c, in m)) { MoveRunSlow(c, in i, 0); return; }
        if (!K2.Fast(c, in SlotAfter(in m, 1))) { MoveRunSlow(c, in i, 1); return; }
        if (!K3.Fast(c, in SlotAfter(in m, 2))) { MoveRunSlow(c, in i, 2); return; }
        c.InstructionCount += 2;
    }

    private static void HMoves4<K1, K2, K3, K4>(X86Cpu c, in Instr i) where K1 : struct, IMove where K2 : struct, IMove where K3 : struct, IMove where K4 : struct, IMove
    {
        ref Instr m = ref SlotAfter(in i, i.Disp);
        if (!K1.Fast(c, in m)) { MoveRunSlow(c, in i, 0); return; }
        if (!K2.Fast(c, in SlotAfter(in m, 1))) { MoveRunSlow(c, in i, 1); return; }
        if (!K3.Fast(c, in SlotAfter(in m, 2))) { MoveRunSlow(c, in i, 2); return; }
        if (!K4.Fast(c, in SlotAfter(in m, 3))) { MoveRunSlow(c, in i, 3); return; }
        c.InstructionCount += 3;
    }

    // Indexed by the kinds in base 3 (copy 0, load 1, store 2), the first move most significant.
    private static readonly nint[][] MoveTables = BuildMoveTables();

    private static nint[][] BuildMoveTables()
    {
        nint[] moves2 = new nint[9], moves3 = new nint[27], moves4 = new nint[81];
        A<MCopy>(0); A<MLoad>(1); A<MStore>(2);
        return [moves2, moves3, moves4];

        void A<K1>(int a) where K1 : struct, IMove { B<K1, MCopy>(a * 3); B<K1, MLoad>(a * 3 + 1); B<K1, MStore>(a * 3 + 2); }

        void B<K1, K2>(int b) where K1 : struct, IMove where K2 : struct, IMove
        {
            moves2[b] = (nint)(delegate*<X86Cpu, in Instr, void>)&HMoves2<K1, K2>;
            C<K1, K2, MCopy>(b * 3); C<K1, K2, MLoad>(b * 3 + 1); C<K1, K2, MStore>(b * 3 + 2);
        }

        void C<K1, K2, K3>(int c) where K1 : struct, IMove where K2 : struct, IMove where K3 : struct, IMove
        {
            moves3[c] = (nint)(delegate*<X86Cpu, in Instr, void>)&HMoves3<K1, K2, K3>;
            moves4[c * 3] = (nint)(delegate*<X86Cpu, in Instr, void>)&HMoves4<K1, K2, K3, MCopy>;
            moves4[c * 3 + 1] = (nint)(delegate*<X86Cpu, in Instr, void>)&HMoves4<K1, K2, K3, MLoad>;
            moves4[c * 3 + 2] = (nint)(delegate*<X86Cpu, in Instr, void>)&HMoves4<K1, K2, K3, MStore>;
        }
    }

    /// <summary>The run from move <paramref name="j"/> on through the checked paths.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MoveRunSlow(X86Cpu c, in Instr i, int j)
    {
        int n = i.Imm;
        ref Instr m = ref SlotAfter(in i, i.Disp);
        for (int k = 0; k < j; k++, m = ref SlotAfter(in m, 1)) c._instrStart += (uint)m.Imm;
        for (; j < n; j++, m = ref SlotAfter(in m, 1))
        {
            if (m.Op == MoveCopy)
            {
                c.R32(m.ModRm) = c.R32(m.Base);
            }
            else
            {
                var single = new Instr(m.Op == MoveLoad ? (ushort)0x8B : (ushort)0x89, (byte)m.Imm, Pfx.Mem,
                    (byte)(0x80 | (m.ModRm << 3) | (m.Base & 7)), m.Seg, m.Base, Instr.NoReg, 0, m.Disp, 0, 0);
                if (m.Op == MoveLoad)
                {
                    MovLoadSlow<ABase>(c, in single);
                }
                else
                {
                    MovStoreSlow<ABase>(c, in single);
                    if (c.StopBlock && j < n - 1)
                    {
                        // The store rewrote decoded code: stop after it, the rest of the run undone.
                        uint rest = 0;
                        ref Instr r = ref SlotAfter(in m, 1);
                        for (int k = j + 1; k < n; k++, r = ref SlotAfter(in r, 1)) rest += (uint)r.Imm;
                        c.StopRewind = rest;
                        c.InstructionCount += (ulong)j;
                        return;
                    }
                }
            }
            c._instrStart += (uint)m.Imm;
        }
        c.InstructionCount += (ulong)(n - 1);
    }

    /// <summary>The instruction of the slot <paramref name="slots"/> after the one holding <paramref name="i"/> (same array).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Instr SlotAfter(in Instr i, int slots) =>
        ref Unsafe.As<byte, Instr>(ref Unsafe.AddByteOffset(ref Unsafe.As<Instr, byte>(ref Unsafe.AsRef(in i)), (nint)slots * sizeof(Slot)));

    /// <summary>The move's kind, or -1 when the instruction is no 32-bit copy, [base+disp] load or store.</summary>
    private static int MoveKind(in Instr m)
    {
        if (m.Op is not (0x89 or 0x8B)) return -1;
        if (m.Pfx == 0 && m.ModRm >= 0xC0) return MoveCopy;
        if (!IsBaseDispMove(in m)) return -1;
        return m.Op == 0x8B ? MoveLoad : MoveStore;
    }

    /// <summary>
    /// How many moves from decoded[k] form a run worth a slot (0: none), leaving the run's last
    /// moves to the fusions that would take them with the instruction after the run.
    /// </summary>
    private static int MoveRunLength(List<Instr> decoded, int k, int count)
    {
        int n = 0, bytes = 0;
        while (k + n < count && n < MaxMoveRun && MoveKind(decoded[k + n]) >= 0 && bytes + decoded[k + n].Len <= 255)
        {
            bytes += decoded[k + n].Len;
            n++;
        }
        int end = k + n;
        if (n >= 2 && end < count)
        {
            // copy, load, operate (FusedCopyLoad.cs) or load, operate (FusedLoad.cs) or a chain
            // starting with a copy (FusedAluChain.cs) beat the run's tail moves as separate slots.
            if (n >= 4 && TryFuseCopyThenLoad(decoded, end - 2, count, out _)) n -= 2;
            else if (TryFuseLoad(decoded[end - 1], decoded[end], out _) || TryFuseLoadThenAluMem(decoded[end - 1], decoded[end], out _)
                || TryFuseCopy(decoded[end - 1], decoded[end], out _) || TryFuseAluChain(decoded, end - 1, count, out _) > 0) n--;
        }
        if (n < 2) return 0;
        // Two moves a load pair takes are cheaper through its branch-free handler.
        if (n == 2 && TryFuseLoadPair(decoded[k], decoded[k + 1], out _)) return 0;
        return n;
    }

    /// <summary>
    /// The slots for the run decoded[k .. k+n): chunks of two to four moves, their moves appended
    /// to <paramref name="data"/> (each slot's Disp holds its data index until BuildSlots knows
    /// where the data slots start).
    /// </summary>
    private static void MoveRunSlots(List<Instr> decoded, int k, int n, List<Slot> data, List<Slot> slots, List<int> runs)
    {
        while (n > 0)
        {
            int size = n == 5 ? 3 : Math.Min(n, 4); // no chunk of one: 5 = 3 + 2, 6 = 4 + 2, 9 = 4 + 3 + 2
            int first = data.Count, len = 0, kinds = 0;
            for (int j = k; j < k + size; j++)
            {
                Instr d = decoded[j];
                int kind = MoveKind(in d);
                kinds = kinds * 3 + kind;
                len += d.Len;
                byte reg, src;
                if (kind == MoveCopy)
                {
                    reg = (byte)(d.Op == 0x89 ? d.Rm : d.RegField);
                    src = (byte)(d.Op == 0x89 ? d.RegField : d.Rm);
                }
                else
                {
                    reg = (byte)d.RegField;
                    src = d.Base;
                }
                data.Add(new Slot { Fn = 0, I = new Instr((ushort)kind, 0, 0, reg, d.Seg, src, 0, 0, d.Disp, d.Len, 0) });
            }
            runs.Add(slots.Count);
            slots.Add(new Slot
            {
                Fn = MoveTables[size - 2][kinds],
                I = new Instr(0x89, (byte)len, Pfx.Mem, 0, 0, 0, 0, 0, first, size, 0),
            });
            k += size;
            n -= size;
        }
    }

}
