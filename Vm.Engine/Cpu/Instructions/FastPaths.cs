using System.Runtime.CompilerServices;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

// Fast paths for the specialized memory handlers. A handler whose body can call out (segment
// check, page walk, fault) makes the JIT save and restore six callee-saved registers on every
// run, hit or miss: measured on sha256, the prologue/epilogue of HMovLoad alone was a quarter of
// the time. So each memory handler does its common case here with no call at all (flat segment,
// TLB hit, access inside the page) and otherwise tail-calls a NoInlining slow twin that runs the
// full, checked path from the start (nothing has been written yet when it is entered).
public sealed unsafe partial class X86Cpu
{
    /// <summary>What <see cref="FastPhys{TA}"/> returns when the access needs the slow path (RAM is far smaller than 4 GiB).</summary>
    private const uint NoFast = uint.MaxValue;

    /// <summary>Register n (0..7, as every decoded register field is) without a bounds check.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref uint R32(int n) => ref Unsafe.Add(ref Unsafe.As<Regs8, uint>(ref S.R), n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Segment SegRef(int n) => ref Unsafe.Add(ref Unsafe.As<Segments6, Segment>(ref S.Seg), n);

    /// <summary>
    /// The physical address of a width-byte access to the instruction's memory operand through
    /// the given TLB half (read or write, current privilege), or <see cref="NoFast"/> when the
    /// segment is not flat, the TLB misses or the access crosses the page.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint FastPhys<TA>(X86Cpu c, in Instr i, uint* tlb, uint width) where TA : struct, IAddr
    {
        uint ea = TA.Ea(c, in i);
        ref Segment seg = ref c.SegRef(i.Seg);
        uint lin = seg.Base + ea;
        uint e = tlb[lin >> 12];
        uint off = lin & 0xFFF;
        if (((e & 0xFFF) | seg.Check) == 0 && off <= 0x1000 - width) return e | off;
        return NoFast;
    }

    /// <summary>The same for an offset already computed, through segment register seg.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint FastPhysAt(uint ea, int seg, uint* tlb, uint width)
    {
        ref Segment sr = ref SegRef(seg);
        uint lin = sr.Base + ea;
        uint e = tlb[lin >> 12];
        uint off = lin & 0xFFF;
        if (((e & 0xFFF) | sr.Check) == 0 && off <= 0x1000 - width) return e | off;
        return NoFast;
    }

    /// <summary>The same for a 4-byte stack access at offset esp of a 32-bit flat SS.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint FastStackPhys(uint esp, uint* tlb)
    {
        ref Segment ss = ref SegRef(Reg.Ss);
        uint lin = ss.Base + esp;
        uint e = tlb[lin >> 12];
        uint off = lin & 0xFFF;
        if (((e & 0xFFF) | ss.Check) == 0 && off <= 0xFFC && ss.Big) return e | off;
        return NoFast;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint Ram32(uint phys) => ref *(uint*)(_ram + phys);
}
