using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

/// <summary>
/// Segment limit checks for data and stack accesses. Address computation tests
/// <see cref="Segment.Check"/> (decided when the segment register was loaded) and only a
/// non-flat segment comes here: every byte of the access must lie within the limit (expand-up)
/// or above it (expand-down, up to 0xFFFF or 0xFFFFFFFF by the B bit); a null selector faults on
/// any access. The fault is #SS(0) through SS and #GP(0) otherwise, as on the real CPU.
/// Not checked: instruction fetch against the CS limit, and the string instructions' element
/// accesses (they compute their addresses from ESI/EDI directly).
/// </summary>
public sealed unsafe partial class X86Cpu
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void CheckSegment(int s, uint offset, uint width)
    {
        ref var seg = ref S.Seg[s];
        uint last = offset + width - 1;
        bool bad = seg.Check switch
        {
            Segment.Unusable => true,
            Segment.ExpandDown => offset <= seg.Limit || last < offset || last > (seg.Big ? 0xFFFFFFFFu : 0xFFFFu),
            Segment.ExpandUp => last < offset || last > seg.Limit,
            _ => false,
        };
        if (bad) throw new CpuFault(s == Reg.Ss ? Vec.SS : Vec.GP, 0);
    }

    /// <summary>The linear address of <paramref name="width"/> bytes at <paramref name="offset"/> in segment <paramref name="s"/>, limit-checked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint SegLin(int s, uint offset, uint width)
    {
        if (S.Seg[s].Check != Segment.Flat) CheckSegment(s, offset, width);
        return S.Seg[s].Base + offset;
    }

    private uint MoffsLin(in Instr i, uint width) => SegLin(i.Seg, i.A16 ? (uint)i.Disp & 0xFFFF : (uint)i.Disp, width);

    /// <summary>
    /// Bytes a memory operand spans (only asked for non-flat segments): byte forms, word forms,
    /// far pointers, descriptor-table images, x87 operands and environments, else the operand size.
    /// </summary>
    internal static uint AccessWidth(in Instr i)
    {
        uint v = i.O16 ? 2u : 4u;
        int op = i.Op, reg = (i.ModRm >> 3) & 7;
        if (op < 0x40 && (op & 7) < 4) return (op & 1) == 0 ? 1u : v; // ALU r/m forms
        return op switch
        {
            0x80 or 0x82 or 0x84 or 0x86 or 0x88 or 0x8A or 0xC0 or 0xC6 or 0xD0 or 0xD2 or 0xF6 or 0xFE => 1,
            0x8C or 0x8E => 2,
            0x62 => 2 * v,
            0xC4 or 0xC5 or 0x1B2 or 0x1B4 or 0x1B5 => v + 2,
            0xFF when reg is 3 or 5 => v + 2,
            0xD8 or 0xDA => 4,
            0xDC => 8,
            0xDE => 2,
            0xD9 => reg switch { 4 or 6 => i.O16 ? 14u : 28u, 5 or 7 => 2, _ => 4 },
            0xDB => reg >= 4 ? 10u : 4u,
            0xDD => reg switch { 4 or 6 => i.O16 ? 94u : 108u, 7 => 2, _ => 8 },
            0xDF => reg switch { 4 or 6 => 10, 5 or 7 => 8, _ => 2 },
            0x100 => 2,
            0x101 => reg < 4 ? 6u : reg == 7 ? 1u : 2u,
            >= 0x190 and <= 0x19F => 1,
            0x1B0 or 0x1C0 or 0x1B6 or 0x1BE => 1,
            0x1B7 or 0x1BF => 2,
            0x1C7 => 8,
            _ => v,
        };
    }
}
