using Vm.Engine.Cpu.State;
using Vm.Engine.Jit.Frontend;

namespace Vm.Engine.Jit.Il;

/// <summary>
/// Which guest registers a region's native ops read and write (bit r = register r). The IL
/// backend keeps these in locals: <see cref="Used"/> are loaded at entry and after every
/// handler call, <see cref="Written"/> are stored back before code that reads S or may fault
/// (handler calls, slow memory paths) and at every exit. Handler calls are not counted: they
/// work on S, which is exact around them. A superset is harmless; the emitter refuses a
/// register outside the sets, so a subset cannot slip through.
/// </summary>
internal readonly record struct RegionRegisters(uint Used, uint Written)
{
    private const uint Esp = 1u << Reg.Esp;

    public static RegionRegisters Of(JitRegion region)
    {
        uint read = 0, written = 0;
        foreach (JitBlock block in region.Blocks)
        {
            foreach (ref readonly JitInstr op in block.Ops.AsSpan())
            {
                var (r, w) = Of(in op);
                read |= r;
                written |= w;
            }
        }
        return new(read | written, written);
    }

    private static (uint Read, uint Written) Of(in JitInstr op)
    {
        uint dst = Bit(op.Dst), src = Bit(op.Src), addr = Bit(op.Addr.Base) | Bit(op.Addr.Index);
        bool compares = op.Alu is JitAlu.Cmp or JitAlu.Test;
        return op.Op switch
        {
            JitOp.MovRegImm => (0, dst),
            JitOp.MovRegReg or JitOp.MovzxReg16 => (src, dst),
            JitOp.MovzxReg8 => (Bit8(op.Src), dst),
            JitOp.Lea or JitOp.Load32 or JitOp.Load8Zx or JitOp.Load16Zx => (addr, dst),
            JitOp.Store32 or JitOp.Store16 => (addr | src, 0),
            JitOp.Store32Imm => (addr, 0),
            JitOp.Store8 => (addr | Bit8(op.Src), 0),
            JitOp.Load8 => (addr | Bit8(op.Dst), Bit8(op.Dst)),
            JitOp.Load16 => (addr | dst, dst),
            JitOp.AluRegReg => (dst | src, compares ? 0 : dst),
            JitOp.AluRegImm => (dst, compares ? 0 : dst),
            JitOp.AluRegMem => (dst | addr, compares ? 0 : dst),
            JitOp.AluMemReg => (addr | src, 0),
            JitOp.AluMemImm => (addr, 0),
            JitOp.Inc or JitOp.Dec or JitOp.ShiftImm => (dst, dst),
            JitOp.Cmp8 or JitOp.Test8 => ((op.Dst == JitAddr.NoReg ? addr : Bit8(op.Dst)) | Bit8(op.Src), 0),
            JitOp.ImulRegReg => (dst | src, dst),
            JitOp.ImulRegImm => (src, dst),
            JitOp.Push32 => (src | Esp, Esp),
            JitOp.PushImm or JitOp.CallRel or JitOp.Ret => (Esp, Esp),
            JitOp.Pop32 => (Esp, Esp | dst),
            _ => (0, 0),
        };
    }

    private static uint Bit(byte r) => r < 8 ? 1u << r : 0;

    /// <summary>The 32-bit register holding 8-bit register r (AL..BL, AH..BH).</summary>
    private static uint Bit8(byte r) => r < 8 ? 1u << (r & 3) : 0;
}
