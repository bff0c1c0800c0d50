using Vm.Engine.Tests.Cpu;

namespace Vm.Engine.Tests.Jit;

/// <summary>
/// Random guest programs for the interpreter-vs-JIT comparison: a loop (ECX counts down) whose
/// body mixes the forms the IR lowers natively (MOV, ALU on registers, immediates and memory,
/// INC/DEC, LEA, loads, stores and read-modify-writes, shifts by a constant, MOVZX, PUSH/POP,
/// CALL/RET, 8-bit MOV to and from memory, 8-bit CMP and TEST, IMUL, 16-bit MOV with memory) with forms that stay handler calls (ADC/SBB, rotates, SETcc,
/// XCHG, DIV that may fault) and short forward branches, so flags flow between
/// native ops, handler calls and blocks. Memory operands stay inside the test's data buffer.
/// </summary>
public static class RandomProgram
{
    // Registers a body may write: not ECX (the loop counter) nor ESP (the stack).
    private static readonly int[] Writable = [0, 2, 3, 5, 6, 7];

    public static byte[] Generate(Random rng, int bodyLength, int iterations)
    {
        var code = new List<byte>();
        code.Add(0xB9); code.AddRange(BitConverter.GetBytes((uint)iterations)); // mov ecx,n
        int loopStart = code.Count;
        for (int k = 0; k < bodyLength; k++)
        {
            int pick = rng.Next(16);
            if (pick == 0)
            {
                // call the next instruction, pop the return address
                code.AddRange([0xE8, 0, 0, 0, 0, (byte)(0x58 + Reg(rng))]);
            }
            else if (pick == 1)
            {
                // push the address after the RET, and return there
                uint after = EngineRunner.CodeAddr + (uint)code.Count + 6;
                code.Add(0x68); code.AddRange(BitConverter.GetBytes(after)); code.Add(0xC3);
            }
            else if (pick < 4)
            {
                // jcc over the next instruction
                byte[] next = Instruction(rng);
                code.Add((byte)(0x70 + rng.Next(16)));
                code.Add((byte)next.Length);
                code.AddRange(next);
            }
            else
            {
                code.AddRange(Instruction(rng));
            }
        }
        code.Add(0x49); // dec ecx
        int rel = loopStart - (code.Count + 6);
        code.AddRange([0x0F, 0x85]); code.AddRange(BitConverter.GetBytes(rel)); // jnz loop
        return [.. code];
    }

    private static byte Reg(Random rng) => (byte)Writable[rng.Next(Writable.Length)];

    /// <summary>An 8-bit register a body may write: not CL or CH (ECX counts the loop).</summary>
    private static byte Reg8(Random rng) => (byte)(new[] { 0, 2, 3, 4, 6, 7 })[rng.Next(6)];

    private static byte AnyReg(Random rng) => (byte)rng.Next(8);

    /// <summary>A disp32 operand inside the data buffer (mostly aligned, sometimes not).</summary>
    private static byte[] Disp(Random rng)
    {
        uint off = (uint)rng.Next(0, 0x180);
        if (rng.Next(4) != 0) off &= ~3u;
        return BitConverter.GetBytes(EngineRunner.DataAddr + off);
    }

    private static byte[] Imm32(Random rng) => BitConverter.GetBytes(rng.Next(3) switch { 0 => (uint)rng.Next(-4, 4), 1 => 0x80000000u, _ => (uint)rng.Next() * 2u + (uint)rng.Next(2) });

    private static byte ModRmReg(int reg, int rm) => (byte)(0xC0 | (reg << 3) | rm);

    private static byte ModRmDisp(int reg) => (byte)((reg << 3) | 5);

    private static readonly byte[] AluRmReg = [0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39, 0x85];
    private static readonly byte[] AluRegMem = [0x03, 0x0B, 0x13, 0x1B, 0x23, 0x2B, 0x33, 0x3B];

    private static byte[] Instruction(Random rng)
    {
        switch (rng.Next(31))
        {
            case 0: return [(byte)(0xB8 + Reg(rng)), .. Imm32(rng)];
            case 1: return [0x89, ModRmReg(AnyReg(rng), Reg(rng))];
            case 2: return [AluRmReg[rng.Next(AluRmReg.Length)], ModRmReg(AnyReg(rng), Reg(rng))];
            case 3: return [0x83, ModRmReg(rng.Next(8), Reg(rng)), (byte)rng.Next(256)];
            case 4: return [0x81, ModRmReg(rng.Next(8), Reg(rng)), .. Imm32(rng)];
            case 5: return [(byte)((rng.Next(2) == 0 ? 0x40 : 0x48) + Reg(rng))];
            case 6: return [0x8B, ModRmDisp(Reg(rng)), .. Disp(rng)];
            case 7: return [0x89, ModRmDisp(AnyReg(rng)), .. Disp(rng)];
            case 8: return [0xC7, 0x05, .. Disp(rng), .. Imm32(rng)];
            case 9: return [AluRegMem[rng.Next(AluRegMem.Length)], ModRmDisp(Reg(rng)), .. Disp(rng)];
            case 10: // lea r,[base+index*scale+disp8]
            {
                int index = rng.Next(8);
                if (index == 4) index = 0;
                return [0x8D, (byte)(0x44 | (Reg(rng) << 3)), (byte)((rng.Next(4) << 6) | (index << 3) | AnyReg(rng)), (byte)rng.Next(256)];
            }
            case 11: return [0xC1, ModRmReg(rng.Next(8) is var s && s == 6 ? 4 : s, Reg(rng)), (byte)rng.Next(1, 32)];
            case 12: return [0x0F, (byte)(0x90 + rng.Next(16)), ModRmReg(0, rng.Next(4) is var r8 && r8 == 1 ? 0 : r8)];
            case 13: return [(byte)(0x50 + AnyReg(rng)), (byte)(0x58 + Reg(rng))];
            case 14: return [0x87, ModRmReg(Reg(rng), Reg(rng))];
            case 15: return [0x3D, .. Imm32(rng)];
            case 17: return [AluRmReg[rng.Next(AluRmReg.Length)], ModRmDisp(AnyReg(rng)), .. Disp(rng)]; // op [mem],reg
            case 18: return [0x83, ModRmDisp(rng.Next(8)), .. Disp(rng), (byte)rng.Next(256)];         // op [mem],imm8
            case 19: return [0xD1, ModRmReg(rng.Next(4, 8) is var d && d == 6 ? 7 : d, Reg(rng))];      // shl/shr/sar r,1
            case 20: return [0x0F, (byte)(0xB6 + rng.Next(2)), ModRmReg(Reg(rng), AnyReg(rng))];       // movzx r,r8/r16
            case 21: return [0x0F, (byte)(0xB6 + rng.Next(2)), ModRmDisp(Reg(rng)), .. Disp(rng)];     // movzx r,[mem]
            case 22: return [0x8A, ModRmDisp(Reg8(rng)), .. Disp(rng)];                                   // mov r8,[mem]
            case 23: return [0x88, ModRmDisp(rng.Next(8)), .. Disp(rng)];                                 // mov [mem],r8
            case 24: return rng.Next(2) == 0 ? [0x38, ModRmReg(rng.Next(8), rng.Next(8))] : [0x38, ModRmDisp(rng.Next(8)), .. Disp(rng)]; // cmp r/m8,r8
            case 25: return rng.Next(2) == 0 ? [0x80, ModRmReg(7, rng.Next(8)), (byte)rng.Next(256)] : [0x80, ModRmDisp(7), .. Disp(rng), (byte)rng.Next(256)]; // cmp r/m8,imm8
            case 26: return rng.Next(2) == 0 ? [0x84, ModRmReg(rng.Next(8), rng.Next(8))] : [0x84, ModRmDisp(rng.Next(8)), .. Disp(rng)]; // test r/m8,r8
            case 27: return rng.Next(2) == 0 ? [0xF6, ModRmReg(0, rng.Next(8)), (byte)rng.Next(256)] : [0xF6, ModRmDisp(0), .. Disp(rng), (byte)rng.Next(256)]; // test r/m8,imm8
            case 28: return rng.Next(3) switch                                                            // imul r,r / r,r,imm8 / r,r,imm32
            {
                0 => [0x0F, 0xAF, ModRmReg(Reg(rng), AnyReg(rng))],
                1 => [0x6B, ModRmReg(Reg(rng), AnyReg(rng)), (byte)rng.Next(256)],
                _ => [0x69, ModRmReg(Reg(rng), AnyReg(rng)), .. Imm32(rng)],
            };
            case 29: return [0x66, 0x8B, ModRmDisp(Reg(rng)), .. Disp(rng)];                          // mov r16,[mem]
            case 30: return [0x66, 0x89, ModRmDisp(AnyReg(rng)), .. Disp(rng)];                       // mov [mem],r16
            default:
                // div ebx: #DE when EBX is 0 or the quotient overflows; EDX cleared first mostly.
                return rng.Next(3) == 0 ? [0xF7, 0xF3] : [0x31, 0xD2, 0xF7, 0xF3];
        }
    }
}
