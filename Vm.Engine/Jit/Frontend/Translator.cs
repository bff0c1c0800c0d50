using Vm.Engine.Cpu;
using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Jit.Frontend;

/// <summary>
/// Translates an interpreter block into micro-ops, then runs the passes. Only 32-bit operand
/// and address size without prefixes beyond a segment override become native ops; the rest
/// stay handler calls.
/// </summary>
public static unsafe class Translator
{
    /// <param name="instrs">
    /// The block's instructions decoded afresh from guest RAM: the interpreter's slots hold
    /// fused compare-and-branch pairs in a form only their handler knows, and the IR wants the
    /// two instructions (the compare's operands then decide the branch).
    /// </param>
    internal static JitBlock Translate(Block block, Instr[] instrs) =>
        Translate(instrs, block.Phys, (block.Key >> 32) != 0, 0);

    /// <param name="baseOffset">The block's start in bytes from the compiled unit's entry (a region's later blocks).</param>
    internal static JitBlock Translate(Instr[] instrs, uint phys, bool code32, int baseOffset)
    {
        var ops = new JitInstr[instrs.Length];
        var handlers = new nint[instrs.Length];
        int offset = baseOffset;
        for (int k = 0; k < instrs.Length; k++)
        {
            ref readonly Instr i = ref instrs[k];
            handlers[k] = (nint)X86Cpu.HandlerFor(in i);
            var op = Lower(in i);
            op.Slot = k;
            op.Offset = offset;
            op.End = offset + i.Len;
            op.FlagProducer = -1;
            ops[k] = op;
            offset += i.Len;
        }
        var jb = new JitBlock
        {
            Ops = ops,
            Instrs = instrs,
            Handlers = handlers,
            InstructionCount = instrs.Length,
            Phys = phys,
            Code32 = code32,
            StartOffset = baseOffset,
        };
        FlagLiveness.Run(jb);
        return jb;
    }

    /// <summary>The micro-op for one instruction, or a handler call.</summary>
    private static JitInstr Lower(in Instr i)
    {
        var call = new JitInstr { Op = JitOp.CallHandler };
        if ((i.Pfx & (Pfx.O16 | Pfx.A16 | Pfx.Lock | Pfx.Rep | Pfx.Repne)) == Pfx.O16 && i.IsMem && i.Op is 0x89 or 0x8B)
        {
            // 16-bit MOV with memory: common in kernel code (struct fields of type u16).
            var a16 = new JitAddr(i.Seg, i.Base, i.Index, i.Scale, i.Disp);
            return i.Op == 0x8B ? new JitInstr { Op = JitOp.Load16, Dst = (byte)i.RegField, Addr = a16 }
                                : new JitInstr { Op = JitOp.Store16, Src = (byte)i.RegField, Addr = a16 };
        }
        if ((i.Pfx & (Pfx.O16 | Pfx.A16 | Pfx.Lock | Pfx.Rep | Pfx.Repne)) != 0 || i.Op == Decoder.Undefined) return call;
        bool mem = i.IsMem;
        var addr = new JitAddr(i.Seg, i.Base, i.Index, i.Scale, i.Disp);
        int op = i.Op;
        switch (op)
        {
            case 0x89:
                return mem ? new JitInstr { Op = JitOp.Store32, Src = (byte)i.RegField, Addr = addr }
                           : new JitInstr { Op = JitOp.MovRegReg, Dst = (byte)i.Rm, Src = (byte)i.RegField };
            case 0x8B:
                return mem ? new JitInstr { Op = JitOp.Load32, Dst = (byte)i.RegField, Addr = addr }
                           : new JitInstr { Op = JitOp.MovRegReg, Dst = (byte)i.RegField, Src = (byte)i.Rm };
            case 0xC7:
                return mem ? new JitInstr { Op = JitOp.Store32Imm, Imm = i.Imm, Addr = addr }
                           : new JitInstr { Op = JitOp.MovRegImm, Dst = (byte)i.Rm, Imm = i.Imm };
            case >= 0xB8 and <= 0xBF:
                return new JitInstr { Op = JitOp.MovRegImm, Dst = (byte)(op & 7), Imm = i.Imm };
            case 0x8D:
                return mem ? new JitInstr { Op = JitOp.Lea, Dst = (byte)i.RegField, Addr = addr } : call;
            case 0x01: case 0x09: case 0x21: case 0x29: case 0x31: case 0x39: case 0x85:
            {
                // r/m op= reg; the memory form is a read-modify-write.
                JitAlu? a = op == 0x85 ? JitAlu.Test : AluOf(op >> 3);
                if (a is not { } alu) return call;
                return mem ? new JitInstr { Op = JitOp.AluMemReg, Alu = alu, Src = (byte)i.RegField, Addr = addr }
                           : new JitInstr { Op = JitOp.AluRegReg, Alu = alu, Dst = (byte)i.Rm, Src = (byte)i.RegField };
            }
            case 0x03: case 0x0B: case 0x23: case 0x2B: case 0x33: case 0x3B:
            {
                JitAlu alu = AluOf(op >> 3)!.Value;
                return mem ? new JitInstr { Op = JitOp.AluRegMem, Alu = alu, Dst = (byte)i.RegField, Addr = addr }
                           : new JitInstr { Op = JitOp.AluRegReg, Alu = alu, Dst = (byte)i.RegField, Src = (byte)i.Rm };
            }
            case 0x05: case 0x0D: case 0x25: case 0x2D: case 0x35: case 0x3D:
                return new JitInstr { Op = JitOp.AluRegImm, Alu = AluOf(op >> 3)!.Value, Dst = 0, Imm = i.Imm };
            case 0xA9:
                return new JitInstr { Op = JitOp.AluRegImm, Alu = JitAlu.Test, Dst = 0, Imm = i.Imm };
            case 0x81: case 0x83:
            {
                JitAlu? a = AluOf(i.RegField);
                if (a is not { } alu) return call;
                return mem ? new JitInstr { Op = JitOp.AluMemImm, Alu = alu, Imm = i.Imm, Addr = addr }
                           : new JitInstr { Op = JitOp.AluRegImm, Alu = alu, Dst = (byte)i.Rm, Imm = i.Imm };
            }
            case >= 0x40 and <= 0x47:
                return new JitInstr { Op = JitOp.Inc, Dst = (byte)(op & 7) };
            case >= 0x48 and <= 0x4F:
                return new JitInstr { Op = JitOp.Dec, Dst = (byte)(op & 7) };
            case >= 0x70 and <= 0x7F:
            case >= 0x180 and <= 0x18F:
                return new JitInstr { Op = JitOp.Jcc, Cc = (byte)(op & 15), Imm = i.Imm };
            case 0xE9: case 0xEB:
                return new JitInstr { Op = JitOp.Jmp, Imm = i.Imm };
            case >= 0x50 and <= 0x57:
                return new JitInstr { Op = JitOp.Push32, Src = (byte)(op & 7) };
            case 0x68: case 0x6A:
                return new JitInstr { Op = JitOp.PushImm, Imm = i.Imm };
            case >= 0x58 and <= 0x5F:
                return new JitInstr { Op = JitOp.Pop32, Dst = (byte)(op & 7) };
            case 0xE8:
                return new JitInstr { Op = JitOp.CallRel, Imm = i.Imm };
            case 0xC3:
                return new JitInstr { Op = JitOp.Ret };
            case 0xC1 or 0xD1 when !mem && i.RegField is 4 or 5 or 7:
            {
                int count = op == 0xD1 ? 1 : i.Imm & 31;
                if (count == 0) return call; // no flags change: the handler knows
                var shift = i.RegField switch { 4 => JitShift.Shl, 5 => JitShift.Shr, _ => JitShift.Sar };
                return new JitInstr { Op = JitOp.ShiftImm, Shift = shift, Dst = (byte)i.Rm, Imm = count };
            }
            case 0x1B6:
                return mem ? new JitInstr { Op = JitOp.Load8Zx, Dst = (byte)i.RegField, Addr = addr }
                           : new JitInstr { Op = JitOp.MovzxReg8, Dst = (byte)i.RegField, Src = (byte)i.Rm };
            case 0x1B7:
                return mem ? new JitInstr { Op = JitOp.Load16Zx, Dst = (byte)i.RegField, Addr = addr }
                           : new JitInstr { Op = JitOp.MovzxReg16, Dst = (byte)i.RegField, Src = (byte)i.Rm };
            case 0x8A:
                return mem ? new JitInstr { Op = JitOp.Load8, Dst = (byte)i.RegField, Addr = addr } : call;
            case 0x88:
                return mem ? new JitInstr { Op = JitOp.Store8, Src = (byte)i.RegField, Addr = addr } : call;
            case 0x38: // CMP r/m8, r8
                return new JitInstr { Op = JitOp.Cmp8, Dst = mem ? JitAddr.NoReg : (byte)i.Rm, Src = (byte)i.RegField, Addr = addr };
            case 0x80 when i.RegField == 7: // CMP r/m8, imm8
                return new JitInstr { Op = JitOp.Cmp8, Dst = mem ? JitAddr.NoReg : (byte)i.Rm, Src = JitAddr.NoReg, Imm = i.Imm & 0xFF, Addr = addr };
            case 0x84: // TEST r/m8, r8
                return new JitInstr { Op = JitOp.Test8, Dst = mem ? JitAddr.NoReg : (byte)i.Rm, Src = (byte)i.RegField, Addr = addr };
            case 0xF6 when i.RegField == 0: // TEST r/m8, imm8
                return new JitInstr { Op = JitOp.Test8, Dst = mem ? JitAddr.NoReg : (byte)i.Rm, Src = JitAddr.NoReg, Imm = i.Imm & 0xFF, Addr = addr };
            case 0x1AF when !mem:
                return new JitInstr { Op = JitOp.ImulRegReg, Dst = (byte)i.RegField, Src = (byte)i.Rm };
            case 0x69 or 0x6B when !mem:
                return new JitInstr { Op = JitOp.ImulRegImm, Dst = (byte)i.RegField, Src = (byte)i.Rm, Imm = i.Imm };
            default:
                return call;
        }
    }

    /// <summary>The ALU operation of an x86 ALU group number (0 ADD, 1 OR, 4 AND, 5 SUB, 6 XOR, 7 CMP; ADC and SBB are not native).</summary>
    private static JitAlu? AluOf(int group) => group switch
    {
        0 => JitAlu.Add,
        1 => JitAlu.Or,
        4 => JitAlu.And,
        5 => JitAlu.Sub,
        6 => JitAlu.Xor,
        7 => JitAlu.Cmp,
        _ => null,
    };
}
