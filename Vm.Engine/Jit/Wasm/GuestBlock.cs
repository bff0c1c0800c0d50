using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Jit.Wasm;

/// <summary>How a lowered block ends.</summary>
public enum BlockEnd
{
    /// <summary>A Jcc: Taken when the condition holds, else FallThrough.</summary>
    Conditional,
    /// <summary>A near JMP to Taken.</summary>
    Jump,
    /// <summary>The next instruction (at FallThrough) is not lowered: hand it to the interpreter.</summary>
    Interpret,
    /// <summary>A near CALL to Taken; FallThrough is the return address.</summary>
    Call,
    /// <summary>A near RET: EIP comes off the stack.</summary>
    Return,
    /// <summary>No transfer: the block stopped at its length limit or the page's end, and continues at FallThrough (in the module, or through an exit the chaining picks up).</summary>
    Continue,
    /// <summary>A near CALL or JMP through a register or memory (FF /2, FF /4, <see cref="GuestBlock.Transfer"/>): EIP is the operand.</summary>
    Indirect,
}

/// <summary>A run of decoded guest instructions from one page, as the lowering takes it.</summary>
public sealed class GuestBlock
{
    public required uint StartEip { get; init; }
    public List<(uint Eip, Instr I)> Body { get; } = new();
    public BlockEnd End { get; set; }
    /// <summary>For a Jcc, its condition code (the low four bits of the opcode).</summary>
    public int Condition { get; set; }
    public uint Taken { get; set; }
    public uint FallThrough { get; set; }
    /// <summary>The EIP of the ending transfer (where an exit before it resumes).</summary>
    public uint TransferEip { get; set; }
    /// <summary>For an Indirect end, the CALL or JMP instruction.</summary>
    public Instr Transfer { get; set; }
    /// <summary>For an Interpret end, why (<see cref="ExitCause"/>): the opcode not lowered, or the block's limit.</summary>
    public uint StopCause { get; set; } = ExitCause.BlockLimit;
    /// <summary>Instructions the block retires when it runs to its end (the body plus the transfer).</summary>
    public int Length => Body.Count + (End is BlockEnd.Interpret or BlockEnd.Continue ? 0 : 1);
}
