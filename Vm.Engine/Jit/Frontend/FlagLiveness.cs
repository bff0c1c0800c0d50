namespace Vm.Engine.Jit.Frontend;

/// <summary>
/// Drops flag computations nobody can observe: an op's flags are dead when the next flag
/// writer comes before any reader and before any op that can leave the block (a fault there
/// must see the flags as of before it). The last writer is always live: the flags go to the
/// lazy-flag fields at the block's end. Also notes, for each Jcc, the native ALU op whose
/// operands decide it (an ALU op, INC, DEC, or a byte CMP or TEST).
/// </summary>
public static class FlagLiveness
{
    public static void Run(JitBlock block)
    {
        JitInstr[] ops = block.Ops;
        bool live = true; // at the block's end the flags are guest state
        for (int k = ops.Length - 1; k >= 0; k--)
        {
            ref JitInstr op = ref ops[k];
            if (op.WritesFlags) op.FlagsLive = live;
            if (op.ReadsFlags || op.MayExit) live = true;
            else if (op.WritesFlags) live = false;
        }
        int producer = -1;
        for (int k = 0; k < ops.Length; k++)
        {
            ref JitInstr op = ref ops[k];
            if (op.Op == JitOp.Jcc) op.FlagProducer = producer;
            if (op.WritesFlags)
            {
                producer = op.Op is JitOp.AluRegReg or JitOp.AluRegImm or JitOp.AluRegMem or JitOp.AluMemReg or JitOp.AluMemImm
                    or JitOp.Inc or JitOp.Dec or JitOp.Cmp8 or JitOp.Test8 ? k : -1;
            }
        }
    }
}
