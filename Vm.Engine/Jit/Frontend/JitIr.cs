using Vm.Engine.Cpu;
using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Jit.Frontend;

/// <summary>
/// The micro-operations of the JIT's intermediate form: one per guest instruction, on 32-bit
/// guest registers, memory through the TLB fast path, and lazy flags. Anything not listed is
/// <see cref="CallHandler"/>: the interpreter's own handler for that instruction, so every
/// block is compilable and coverage grows by profile. Values are stable: add new ones at the end.
/// </summary>
public enum JitOp : byte
{
    /// <summary>Call the interpreter's handler for slot <see cref="JitInstr.Slot"/> (reads and writes anything, may exit).</summary>
    CallHandler,
    /// <summary>R[Dst] = Imm.</summary>
    MovRegImm,
    /// <summary>R[Dst] = R[Src].</summary>
    MovRegReg,
    /// <summary>R[Dst] = mem32[Addr] (may fault).</summary>
    Load32,
    /// <summary>mem32[Addr] = R[Src] (may fault; a store to a code page stops the block).</summary>
    Store32,
    /// <summary>mem32[Addr] = Imm (as <see cref="Store32"/>).</summary>
    Store32Imm,
    /// <summary>R[Dst] = offset of Addr (no segment base, no access).</summary>
    Lea,
    /// <summary>R[Dst] = R[Dst] Alu R[Src], flags of the operation (CMP/TEST write no register).</summary>
    AluRegReg,
    /// <summary>R[Dst] = R[Dst] Alu Imm.</summary>
    AluRegImm,
    /// <summary>R[Dst] = R[Dst] Alu mem32[Addr] (may fault).</summary>
    AluRegMem,
    /// <summary>R[Dst] += 1, flags but CF kept.</summary>
    Inc,
    /// <summary>R[Dst] -= 1, flags but CF kept.</summary>
    Dec,
    /// <summary>Last op: EIP = end + Imm when condition Cc holds (reads flags).</summary>
    Jcc,
    /// <summary>Last op: EIP = end + Imm.</summary>
    Jmp,
    /// <summary>Push R[Src] (32-bit stack; a 16-bit stack calls the handler).</summary>
    Push32,
    /// <summary>Push Imm.</summary>
    PushImm,
    /// <summary>Pop into R[Dst] (ESP first, then the register: POP ESP gets the value).</summary>
    Pop32,
    /// <summary>Last op: push the return address (end), EIP = end + Imm.</summary>
    CallRel,
    /// <summary>Last op: EIP = pop.</summary>
    Ret,
    /// <summary>mem32[Addr] = mem32[Addr] Alu R[Src] (CMP/TEST only read; may fault; a store may stop the block).</summary>
    AluMemReg,
    /// <summary>mem32[Addr] = mem32[Addr] Alu Imm.</summary>
    AluMemImm,
    /// <summary>R[Dst] = R[Dst] Shift Imm (count 1-31), flags of the shift.</summary>
    ShiftImm,
    /// <summary>R[Dst] = zero-extended mem8[Addr] (may fault).</summary>
    Load8Zx,
    /// <summary>R[Dst] = zero-extended mem16[Addr] (may fault).</summary>
    Load16Zx,
    /// <summary>R[Dst] = zero-extended 8-bit register Src (0-3: AL..BL, 4-7: AH..BH).</summary>
    MovzxReg8,
    /// <summary>R[Dst] = R[Src] &amp; 0xFFFF.</summary>
    MovzxReg16,
    /// <summary>8-bit register Dst (0-3: AL..BL, 4-7: AH..BH) = mem8[Addr] (may fault).</summary>
    Load8,
    /// <summary>mem8[Addr] = 8-bit register Src (may fault; a store to a code page stops the block).</summary>
    Store8,
    /// <summary>
    /// Flags of CMP left, right on bytes: left is 8-bit register Dst, or mem8[Addr] when Dst is
    /// <see cref="JitAddr.NoReg"/> (may fault); right is 8-bit register Src, or Imm when Src is NoReg.
    /// </summary>
    Cmp8,
    /// <summary>Flags of TEST left, right on bytes (operands as <see cref="Cmp8"/>).</summary>
    Test8,
    /// <summary>R[Dst] = low half of (int)R[Dst] * (int)R[Src]; CF = OF = the product does not fit (IMUL r32, r/m32, register form).</summary>
    ImulRegReg,
    /// <summary>R[Dst] = low half of (int)R[Src] * Imm; flags as <see cref="ImulRegReg"/> (IMUL r32, r32, imm).</summary>
    ImulRegImm,
    /// <summary>Low 16 bits of R[Dst] = mem16[Addr], the rest kept (MOV r16, m16; may fault).</summary>
    Load16,
    /// <summary>mem16[Addr] = low 16 bits of R[Src] (MOV m16, r16; may fault; a store to a code page stops the block).</summary>
    Store16,
}

/// <summary>A 32-bit shift by a constant (rotates stay handler calls).</summary>
public enum JitShift : byte { Shl, Shr, Sar }

/// <summary>A 32-bit ALU operation as the IR knows it (ADC/SBB stay handler calls: they read CF).</summary>
public enum JitAlu : byte { Add, Or, And, Sub, Xor, Cmp, Test }

/// <summary>A 32-bit memory operand: Seg base + R[Base] + (R[Index] &lt;&lt; Scale) + Disp (NoReg = absent).</summary>
public readonly record struct JitAddr(byte Seg, byte Base, byte Index, byte Scale, int Disp)
{
    public const byte NoReg = Instr.NoReg;
}

/// <summary>One micro-op with what the passes found out about it.</summary>
public struct JitInstr
{
    public JitOp Op;
    public JitAlu Alu;
    public JitShift Shift;
    public byte Dst, Src;
    /// <summary>Condition code (0-15, as in Jcc's opcode) for <see cref="JitOp.Jcc"/>.</summary>
    public byte Cc;
    public int Imm;
    public JitAddr Addr;
    /// <summary>The instruction's start, in bytes from the block's first instruction (EIP-relative: one physical block can run at several linear addresses).</summary>
    public int Offset;
    /// <summary>Offset of the next instruction.</summary>
    public int End;
    /// <summary>Index of the instruction in the block (its Instr and handler: <see cref="JitBlock.InstrAt"/>, <see cref="JitBlock.HandlerAt"/>).</summary>
    public int Slot;
    /// <summary>Set by <see cref="FlagLiveness"/>: whether the flags this op writes can be observed (read later, or visible at an exit).</summary>
    public bool FlagsLive;
    /// <summary>For a Jcc: the index of the native ALU, INC, DEC or byte CMP/TEST op that last wrote the flags in this block (its operands decide the branch), or -1.</summary>
    public int FlagProducer;

    public readonly bool WritesFlags => Op is JitOp.AluRegReg or JitOp.AluRegImm or JitOp.AluRegMem or JitOp.AluMemReg or JitOp.AluMemImm
        or JitOp.ShiftImm or JitOp.Inc or JitOp.Dec or JitOp.CallHandler or JitOp.Cmp8 or JitOp.Test8 or JitOp.ImulRegReg or JitOp.ImulRegImm;
    public readonly bool ReadsFlags => Op is JitOp.Jcc or JitOp.Inc or JitOp.Dec or JitOp.CallHandler;
    /// <summary>Whether the op can leave the block early (a fault, or a handler or code write that stops the block).</summary>
    public readonly bool MayExit => Op is JitOp.CallHandler or JitOp.Load32 or JitOp.Store32 or JitOp.Store32Imm or JitOp.AluRegMem
        or JitOp.Push32 or JitOp.PushImm or JitOp.Pop32 or JitOp.CallRel or JitOp.Ret
        or JitOp.AluMemReg or JitOp.AluMemImm or JitOp.Load8Zx or JitOp.Load16Zx or JitOp.Load8 or JitOp.Store8
        or JitOp.Load16 or JitOp.Store16
        || (Op is JitOp.Cmp8 or JitOp.Test8 && Dst == JitAddr.NoReg);
    /// <summary>Whether the op writes guest memory (a write to a code page stops the block after it).</summary>
    public readonly bool Stores => Op is JitOp.Store32 or JitOp.Store32Imm or JitOp.Push32 or JitOp.PushImm or JitOp.CallRel or JitOp.Store8 or JitOp.Store16
        || (Op is JitOp.AluMemReg or JitOp.AluMemImm && Alu is not (JitAlu.Cmp or JitAlu.Test));
}

/// <summary>
/// A translated block: its micro-ops, one per guest instruction, with each instruction's
/// decoded form and interpreter handler (what <see cref="JitOp.CallHandler"/> calls, and the
/// fallback of ops with a rare slow case). A compiled block returns the number of
/// instructions it retired, counted as the interpreter counts them.
/// </summary>
public sealed class JitBlock
{
    public required JitInstr[] Ops;
    internal Instr[] Instrs = [];
    internal nint[] Handlers = [];
    /// <summary>Instructions a complete run retires (the number of ops).</summary>
    public required int InstructionCount;
    public uint Phys;
    public bool Code32;
    /// <summary>The block's first instruction in bytes from the compiled unit's entry: 0, but for a region's later blocks (<see cref="JitRegion"/>).</summary>
    public int StartOffset;

    /// <summary>The decoded instruction behind slot <paramref name="slot"/>.</summary>
    public Instr InstrAt(int slot) => Instrs[slot];

    /// <summary>The handler (<c>delegate*&lt;X86Cpu, in Instr, void&gt;</c>) behind slot <paramref name="slot"/>.</summary>
    public nint HandlerAt(int slot) => Handlers[slot];

    public int NativeOps => Ops.Count(o => o.Op != JitOp.CallHandler);
}
