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
        int op = i.Op;
        // MOVS/STOS (byte, word, dword) with or without REP (memcpy, memset), LODS without; forward
        // only, checked in the code.
        if (op is 0xA4 or 0xA5 or 0xAA or 0xAB or 0xAC or 0xAD && (i.Pfx & (Pfx.A16 | Pfx.Repne | Pfx.Lock)) == 0
            && ((i.Pfx & Pfx.O16) == 0 || (op & 1) != 0) && (op < 0xAC || (i.Pfx & Pfx.Rep) == 0))
            return true;
        // SCASB with REPNE / REPE or alone.
        if (op == 0xAE && (i.Pfx & (Pfx.O16 | Pfx.A16 | Pfx.Lock)) == 0) return true;
        // 16-bit moves (the kernel's 16-bit fields) and PAUSE (REP NOP, in spin loops): lowered.
        if ((i.Pfx & (Pfx.A16 | Pfx.Rep | Pfx.Repne | Pfx.Lock)) == 0 && (i.Pfx & Pfx.O16) != 0)
            return op is 0x89 or 0x8B or 0x90 || (op == 0xC7 && i.RegField == 0)
                || (op is 0xC1 or 0xD1 or 0xD3 && i.RegField is not (2 or 3))
                // 16-bit ALU (ADC/SBB left), TEST, INC/DEC.
                || (AluKind(op) is int kind && kind is not (2 or 3))
                || (op is 0x81 or 0x83 && i.RegField is not (2 or 3))
                || op is 0x85 or 0xA9 or (>= 0x40 and <= 0x4F) || (op == 0xF7 && i.RegField == 0)
                || (op == 0xFF && i.RegField is 0 or 1);
        // LOCK CMPXCHG / XADD (the atomics of the kernel and libc): one CPU, so the lock changes nothing.
        if (op is 0x1B1 or 0x1C1 && (i.Pfx & (Pfx.O16 | Pfx.A16 | Pfx.Rep | Pfx.Repne)) == 0 && (i.IsMem || (i.Pfx & Pfx.Lock) == 0))
            return true;
        if (op == 0x90 && (i.Pfx & (Pfx.O16 | Pfx.A16 | Pfx.Repne | Pfx.Lock)) == 0) return true;
        // (LOCK) CMPXCHG8B m64: the kernel's 64-bit atomics (70 k exits in a boot).
        if (op == 0x1C7 && i.RegField == 1 && i.IsMem && (i.Pfx & (Pfx.O16 | Pfx.A16 | Pfx.Rep | Pfx.Repne)) == 0) return true;
        // LOCK BTS/BTR/BTC on memory (the kernel's set_bit and test_and_clear_bit): one CPU, as above.
        if ((op is 0x1AB or 0x1B3 or 0x1BB || (op == 0x1BA && i.RegField >= 5)) && i.IsMem
            && (i.Pfx & (Pfx.O16 | Pfx.A16 | Pfx.Rep | Pfx.Repne)) == 0)
            return true;
        // Operand/address-size, REP and LOCK prefixes change semantics the lowering does not model.
        if ((i.Pfx & (Pfx.O16 | Pfx.A16 | Pfx.Rep | Pfx.Repne | Pfx.Lock)) != 0) return false;
        if (op < 0x40 && AluKind(op) is not null) return true;
        return op switch
        {
            0x81 or 0x83 => true,
            0x85 or 0xA9 or 0x89 or 0x8B or 0xC7 => op != 0xC7 || i.RegField == 0,
            0x8D => i.IsMem,
            >= 0x40 and <= 0x5F => true,
            >= 0xB8 and <= 0xBF => true,
            0xF7 => i.RegField is not (1 or 7), // TEST, NOT, NEG, MUL, IMUL, DIV (IDIV left)
            0x68 or 0x6A => true, // PUSH imm
            0xFC or 0xFD => true, // CLD, STD
            0xFA => true, // CLI (checked against IOPL in the code; STI's interrupt shadow is the interpreter's)
            0x9C => true, // PUSHF
            0x88 or 0x8A => true, // MOV r/m8, r8 and r8, r/m8
            0xC6 => i.RegField == 0, // MOV r/m8, imm8
            0x1B6 or 0x1B7 or 0x1BE or 0x1BF => true, // MOVZX / MOVSX r32, r/m8 or r/m16
            0xC1 or 0xD1 or 0xD3 => i.RegField is not (2 or 3), // shifts and rotates; RCL/RCR left
            >= 0xB0 and <= 0xB7 => true, // MOV r8, imm8
            >= 0xA0 and <= 0xA3 => true, // MOV AL/EAX to and from moffs
            >= 0x90 and <= 0x97 => true, // NOP, XCHG EAX, r32
            0x87 => true, // XCHG r32, r/m32
            0xC0 or 0xD0 or 0xD2 => i.RegField is not (2 or 3), // byte shifts and rotates; RCL/RCR left
            0x98 or 0x99 => true, // CWDE, CDQ
            0xC9 => true, // LEAVE
            >= 0x1C8 and <= 0x1CF => true, // BSWAP
            >= 0x140 and <= 0x14F => true, // CMOVcc
            >= 0x190 and <= 0x19F => true, // SETcc
            0x84 or 0xA8 => true, // TEST r/m8, r8 and AL, imm8
            0x1AF or 0x69 or 0x6B => true, // IMUL r32, r/m32 (, imm)
            0x1A4 or 0x1A5 or 0x1AC or 0x1AD => true, // SHLD / SHRD by imm8 and CL
            0xFF => i.RegField is 0 or 1 or 6, // INC/DEC/PUSH r/m32 (CALL/JMP end blocks: IsIndirect)
            0x80 => i.RegField is not (2 or 3), // byte ALU r/m8, imm8 (ADC/SBB left)
            < 0x40 when (op & 7) is 0 or 2 or 4 && (op >> 3) is not (2 or 3) => true, // byte ALU forms
            0xF6 => i.RegField == 0, // TEST r/m8, imm8
            0xFE => i.RegField is 0 or 1, // INC/DEC r/m8
            0x1A3 or 0x1AB or 0x1B3 or 0x1BB => true, // BT/BTS/BTR/BTC r/m32, r32
            0x1BA => i.RegField >= 4, // BT/BTS/BTR/BTC r/m32, imm8
            _ => false,
        };
    }

    public static bool IsJcc(in Instr i) => (i.Op is >= 0x70 and <= 0x7F or >= 0x180 and <= 0x18F) && (i.Pfx & (Pfx.O16 | Pfx.A16)) == 0;

    public static bool IsCall(in Instr i) => i.Op == 0xE8 && (i.Pfx & (Pfx.O16 | Pfx.A16)) == 0;

    public static bool IsRet(in Instr i) => i.Op == 0xC3 && (i.Pfx & Pfx.O16) == 0;

    /// <summary>A near CALL or JMP through r/m32 (FF /2, FF /4).</summary>
    public static bool IsIndirect(in Instr i) => i.Op == 0xFF && i.RegField is 2 or 4 && (i.Pfx & (Pfx.O16 | Pfx.A16)) == 0;

    public static bool IsJmp(in Instr i) => i.Op is 0xE9 or 0xEB && (i.Pfx & (Pfx.O16 | Pfx.A16)) == 0;

    /// <summary>The ALU operation of a 0x00-0x3F opcode (0 ADD, 1 OR, 2 ADC, 3 SBB, 4 AND, 5 SUB, 6 XOR, 7 CMP), null for the others there.</summary>
    public static int? AluKind(int op) => op < 0x40 && (op & 7) is 1 or 3 or 5 ? op >> 3 : null;
}
