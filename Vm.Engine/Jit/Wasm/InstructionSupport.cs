using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// Which decoded instructions the wasm lowering handles: 32-bit integer forms that make up hot
/// loops (MOV, LEA, ADD/OR/AND/SUB/XOR/CMP, TEST, INC/DEC, PUSH/POP, Jcc, JMP, CALL, RET). Anything else
/// ends the block with an exit to the interpreter at that instruction.
/// </summary>
public static class InstructionSupport
{
    public static bool IsLowered(in Instr i)
    {
        // Operand/address-size, REP and LOCK prefixes change semantics the lowering does not model.
        if ((i.Pfx & (Pfx.O16 | Pfx.A16 | Pfx.Rep | Pfx.Repne | Pfx.Lock)) != 0) return false;
        int op = i.Op;
        if (op < 0x40 && AluKind(op) is int k) return k is not (2 or 3);
        return op switch
        {
            0x81 or 0x83 => i.RegField is not (2 or 3),
            0x85 or 0xA9 or 0x89 or 0x8B or 0xC7 => op != 0xC7 || i.RegField == 0,
            0x8D => i.IsMem,
            >= 0x40 and <= 0x5F => true,
            >= 0xB8 and <= 0xBF => true,
            0xF7 => i.RegField == 0,
            0x88 or 0x8A => true, // MOV r/m8, r8 and r8, r/m8
            0xC6 => i.RegField == 0, // MOV r/m8, imm8
            0x1B6 or 0x1B7 or 0x1BE or 0x1BF => true, // MOVZX / MOVSX r32, r/m8 or r/m16
            _ => false,
        };
    }

    public static bool IsJcc(in Instr i) => (i.Op is >= 0x70 and <= 0x7F or >= 0x180 and <= 0x18F) && (i.Pfx & (Pfx.O16 | Pfx.A16)) == 0;

    public static bool IsCall(in Instr i) => i.Op == 0xE8 && (i.Pfx & (Pfx.O16 | Pfx.A16)) == 0;

    public static bool IsRet(in Instr i) => i.Op == 0xC3 && (i.Pfx & Pfx.O16) == 0;

    public static bool IsJmp(in Instr i) => i.Op is 0xE9 or 0xEB && (i.Pfx & (Pfx.O16 | Pfx.A16)) == 0;

    /// <summary>The ALU operation of a 0x00-0x3F opcode (0 ADD, 1 OR, 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP), null for the others there.</summary>
    public static int? AluKind(int op) => op < 0x40 && (op & 7) is 1 or 3 or 5 ? op >> 3 : null;
}
