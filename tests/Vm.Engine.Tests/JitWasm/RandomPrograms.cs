namespace Vm.Engine.Tests.JitWasm;

/// <summary>
/// Random guest programs for the differential JIT test: a counted loop (ECX) over a random body
/// of 32-bit integer instructions (mostly forms the wasm backend lowers, some it leaves to the
/// interpreter: ADC, SBB, SHL), memory operands at [ESI+d8] in the data area, balanced
/// PUSH/POP, MOVZX/MOVSX, and short Jcc over the next instruction on every condition code.
/// </summary>
public static class RandomPrograms
{
    private static readonly int[] Dest = [0, 2, 3, 5, 7]; // EAX EDX EBX EBP EDI: ECX counts, ESI points at data, ESP is the stack
    private static readonly int[] ByteDest = [0, 2, 3, 4, 6, 7]; // AL DL BL AH DH BH: not CL/CH (ECX counts)

    public static byte[] Generate(Random rng, out uint[] regs)
    {
        var body = new List<byte>();
        int n = rng.Next(3, 14);
        for (int k = 0; k < n && body.Count < 90; k++)
        {
            if (rng.Next(6) == 0)
            {
                byte[] next = Instruction(rng);
                body.Add((byte)(0x70 + rng.Next(16)));
                body.Add((byte)next.Length);
                body.AddRange(next);
            }
            else
            {
                body.AddRange(Instruction(rng));
            }
        }
        var code = new List<byte> { 0xB9 };
        code.AddRange(BitConverter.GetBytes(rng.Next(1, 40)));
        code.AddRange(body);
        code.Add(0x49); // dec ecx
        code.Add(0x75); // jnz loop
        code.Add((byte)(sbyte)-(body.Count + 3));
        for (int k = rng.Next(0, 4); k > 0; k--) code.AddRange(Instruction(rng));
        regs = new uint[8];
        for (int r = 0; r < 8; r++) regs[r] = Value(rng);
        regs[6] = JitMachine.DataAddr;
        regs[4] = JitMachine.StackTop;
        return code.ToArray();
    }

    private static uint Value(Random rng) => rng.Next(5) switch
    {
        0 => 0,
        1 => 0xFFFFFFFF,
        2 => 0x80000000,
        3 => 0x7FFFFFFF,
        _ => (uint)rng.NextInt64(0, 1L << 32),
    };

    private static byte[] Instruction(Random rng)
    {
        int d = Dest[rng.Next(Dest.Length)];
        int s = rng.Next(8);
        int b = ByteDest[rng.Next(ByteDest.Length)];
        byte disp = (byte)(rng.Next(0, 30) * 4 + rng.Next(2) * rng.Next(4));
        int[] kinds = [0, 1, 2, 3, 4, 5, 6, 7];
        int kind = kinds[rng.Next(kinds.Length)];
        byte[] imm = BitConverter.GetBytes(Value(rng));
        switch (rng.Next(26))
        {
            case 0: return [(byte)((kind << 3) | 1), (byte)(0xC0 | (s << 3) | d)];
            case 1: return [0x83, (byte)(0xC0 | (kind << 3) | d), (byte)rng.Next(256)];
            case 2: return [0x81, (byte)(0xC0 | (kind << 3) | d), .. imm];
            case 3: return [(byte)((kind << 3) | 1), (byte)(0x40 | (s << 3) | 6), disp];
            case 4: return [(byte)((kind << 3) | 3), (byte)(0x40 | (d << 3) | 6), disp];
            case 5: return [(byte)(0xB8 + d), .. imm];
            case 6: return [0x89, (byte)(0xC0 | (s << 3) | d)];
            case 7: return [0x89, (byte)(0x40 | (s << 3) | 6), disp];
            case 8: return [0x8B, (byte)(0x40 | (d << 3) | 6), disp];
            case 9: return [0xC7, 0x46, disp, .. imm];
            case 10:
            {
                int index = new[] { 0, 1, 2, 3, 5, 6, 7 }[rng.Next(7)];
                return [0x8D, (byte)(0x44 | (d << 3)), (byte)((rng.Next(4) << 6) | (index << 3) | rng.Next(8)), (byte)rng.Next(256)];
            }
            case 11: return [(byte)((rng.Next(2) == 0 ? 0x40 : 0x48) + d)];
            case 12: return [0x85, (byte)(0xC0 | (s << 3) | d)];
            case 13: return [(byte)(0x50 + s), (byte)(0x58 + d)];
            case 14: return [0xC1, (byte)(0xE0 | d), (byte)rng.Next(32)]; // SHL: left to the interpreter
            case 15: return [(byte)((kind << 3) | 5), .. imm];
            // MOVZX / MOVSX from a byte register (AL..BH), a word register, and memory.
            case 16: return [0x0F, (byte)(0xB6 + 8 * rng.Next(2)), (byte)(0xC0 | (d << 3) | s)];
            case 17: return [0x0F, (byte)(0xB7 + 8 * rng.Next(2)), (byte)(0xC0 | (d << 3) | s)];
            case 18: return [0x0F, (byte)(0xB6 + 8 * rng.Next(2)), (byte)(0x40 | (d << 3) | 6), disp];
            case 19: return [0x0F, (byte)(0xB7 + 8 * rng.Next(2)), (byte)(0x40 | (d << 3) | 6), disp];
            // Byte moves: register to register (AL..BH both ways), to and from memory, an immediate.
            case 20: return rng.Next(2) == 0 ? [0x88, (byte)(0xC0 | (rng.Next(8) << 3) | b)] : [0x8A, (byte)(0xC0 | (b << 3) | rng.Next(8))];
            case 21: return [0x88, (byte)(0x40 | (rng.Next(8) << 3) | 6), disp];
            case 22: return [0x8A, (byte)(0x40 | (b << 3) | 6), disp];
            case 23: return [0xC6, (byte)(0xC0 | b), (byte)rng.Next(256)];
            case 24: return [0xC6, 0x46, disp, (byte)rng.Next(256)];
            default: return [0xA9, .. imm];
        }
    }
}
