namespace Vm.Engine.Tests.JitWasm;

/// <summary>
/// Random guest programs for the differential JIT test: a counted loop (ECX) over a random body
/// of 32-bit integer instructions (mostly forms the wasm backend lowers, some it leaves to the
/// interpreter: RCL/RCR, MUL), memory operands at [ESI+d8] and absolute (moffs) in the data area,
/// balanced PUSH/POP, MOVZX/MOVSX, byte moves and TEST, ADC/SBB, shifts and rotates by 1, an
/// immediate (0 and masked counts included) and CL, NOT/NEG, CMOVcc/SETcc, XCHG, CDQ/CWDE, BSWAP,
/// a PUSH EBP / MOV EBP,ESP / LEAVE frame, byte shifts and rotates, 16-bit ALU/TEST/INC/DEC,
/// CMPXCHG (both outcomes) and XCHG with memory, MOVS/STOS (8/16/32 bits) with and without REP, LODS, SCASB, SHLD/SHRD, XADD, PUSHF, CMPXCHG8B, CLI, and short Jcc over the next one to three instructions on every
/// condition code (some right after a byte or word CMP), INC/DEC r/m8, BT/BTS/BTR/BTC (register,
/// memory with a register or immediate bit offset, LOCK). A body without Jcc is one block that
/// branches to itself; with them, blocks whose taken or fall-through successor is the next.
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
            if (rng.Next(10) == 0)
            {
                // A byte or word CMP (register or [ESI+d8]) right before a Jcc: the backend
                // compares the operands directly instead of reading EFLAGS.
                if (rng.Next(2) == 0) body.Add(0x66);
                body.Add((byte)(0x38 + rng.Next(4)));
                if (rng.Next(2) == 0) body.Add((byte)(0xC0 | rng.Next(64)));
                else body.AddRange([(byte)(0x46 | (rng.Next(8) << 3)), (byte)rng.Next(0, 120)]);
                byte[] next = Instruction(rng);
                body.Add((byte)(0x70 + rng.Next(16)));
                body.Add((byte)next.Length);
                body.AddRange(next);
            }
            else if (rng.Next(6) == 0)
            {
                // Over one to three instructions (a forward branch past several blocks: a direct
                // wasm br to the target's block, not the dispatch loop).
                var next = new List<byte>();
                for (int m = rng.Next(1, 4); m > 0; m--) next.AddRange(Instruction(rng));
                body.Add((byte)(0x70 + rng.Next(16)));
                body.Add((byte)next.Count);
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
        int cc = rng.Next(16);
        int anyByte = rng.Next(8);
        switch (rng.Next(77))
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
            case 14: return [0xC1, (byte)(0xC0 | (rng.Next(8) << 3) | d), (byte)rng.Next(40)]; // group 2 by imm (RCL/RCR left)
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
            // Group 2 by 1 and by CL, on registers and memory.
            case 25: return [0xD1, (byte)(0xC0 | (rng.Next(8) << 3) | d)];
            case 26: return [0xD3, (byte)(0xC0 | (rng.Next(8) << 3) | d)];
            case 27:
            {
                byte modrm = (byte)(0x40 | (rng.Next(8) << 3) | 6);
                return rng.Next(3) switch { 0 => [0xC1, modrm, disp, (byte)rng.Next(33)], 1 => [0xD1, modrm, disp], _ => [0xD3, modrm, disp] };
            }
            case 28: return [(byte)(0xB0 + b), (byte)rng.Next(256)];
            case 29: return rng.Next(2) == 0 ? [0xA1, .. BitConverter.GetBytes(JitMachine.DataAddr + disp)] : [0xA3, .. BitConverter.GetBytes(JitMachine.DataAddr + disp)];
            case 30: return rng.Next(2) == 0 ? [0xA0, .. BitConverter.GetBytes(JitMachine.DataAddr + disp)] : [0xA2, .. BitConverter.GetBytes(JitMachine.DataAddr + disp)];
            case 31: return [0xF7, (byte)(0xC0 | ((2 + rng.Next(2)) << 3) | d)];
            case 32: return [0xF7, (byte)(0x40 | ((2 + rng.Next(2)) << 3) | 6), disp];
            case 33: return [0x84, (byte)(0xC0 | (rng.Next(8) << 3) | rng.Next(8))];
            case 34: return rng.Next(2) == 0 ? [0xA8, (byte)rng.Next(256)] : [0xF6, (byte)(0xC0 | rng.Next(8)), (byte)rng.Next(256)];
            case 35: return rng.Next(2) == 0 ? [0x84, (byte)(0x40 | (rng.Next(8) << 3) | 6), disp] : [0xF6, 0x46, disp, (byte)rng.Next(256)];
            case 36: return rng.Next(2) == 0 ? [0x0F, (byte)(0x40 + cc), (byte)(0xC0 | (d << 3) | s)] : [0x0F, (byte)(0x40 + cc), (byte)(0x40 | (d << 3) | 6), disp];
            case 37: return rng.Next(2) == 0 ? [0x0F, (byte)(0x90 + cc), (byte)(0xC0 | b)] : [0x0F, (byte)(0x90 + cc), 0x46, disp];
            case 38: return rng.Next(2) == 0 ? [0x87, (byte)(0xC0 | (Dest[rng.Next(Dest.Length)] << 3) | d)] : [(byte)(0x90 + d)];
            case 39: return [(byte)(0x98 + rng.Next(2))];
            case 40: return [0x0F, (byte)(0xC8 + d)];
            case 41: return [0x55, 0x89, 0xE5, 0x83, 0xEC, (byte)(4 * rng.Next(4)), 0xC9]; // push ebp; mov ebp,esp; sub esp,n; leave
            case 42: return [(byte)(0x13 + 8 * rng.Next(2)), (byte)(0xC0 | (d << 3) | s)]; // ADC/SBB r32, r32
            // Byte ALU (ADC/SBB included: left to the interpreter) in every form.
            case 43: return rng.Next(2) == 0 ? [(byte)(kind << 3), (byte)(0xC0 | (anyByte << 3) | b)] : [(byte)((kind << 3) | 2), (byte)(0xC0 | (b << 3) | anyByte)];
            case 44: return rng.Next(2) == 0 ? [(byte)(kind << 3), (byte)(0x40 | (anyByte << 3) | 6), disp] : [(byte)((kind << 3) | 2), (byte)(0x40 | (b << 3) | 6), disp];
            case 45: return [(byte)((kind << 3) | 4), (byte)rng.Next(256)];
            case 46: return rng.Next(2) == 0 ? [0x80, (byte)(0xC0 | (kind << 3) | b), (byte)rng.Next(256)] : [0x80, (byte)(0x40 | (kind << 3) | 6), disp, (byte)rng.Next(256)];
            // IMUL in its three two- and three-operand forms, register and memory.
            case 47: return rng.Next(4) switch
            {
                0 => [0x0F, 0xAF, (byte)(0xC0 | (d << 3) | s)],
                1 => [0x0F, 0xAF, (byte)(0x40 | (d << 3) | 6), disp],
                2 => [0x69, (byte)(0xC0 | (d << 3) | s), .. imm],
                _ => [0x6B, (byte)(0x40 | (d << 3) | 6), disp, (byte)rng.Next(256)],
            };
            // Group 5: INC/DEC r/m32, PUSH r/m32 (popped again).
            case 48: return rng.Next(2) == 0 ? [0xFF, (byte)(0xC0 | (rng.Next(2) << 3) | d)] : [0xFF, (byte)(0x40 | (rng.Next(2) << 3) | 6), disp];
            case 49: return rng.Next(2) == 0 ? [0xFF, (byte)(0xF0 | s), (byte)(0x58 + d)] : [0xFF, 0x76, disp, (byte)(0x58 + d)];
            // 16-bit moves (register halves kept), and PAUSE.
            case 50: return rng.Next(2) == 0 ? [0x66, 0x89, (byte)(0xC0 | (s << 3) | d)] : [0x66, 0x8B, (byte)(0xC0 | (d << 3) | s)];
            case 51: return rng.Next(3) switch
            {
                0 => [0x66, 0x89, (byte)(0x40 | (s << 3) | 6), disp],
                1 => [0x66, 0x8B, (byte)(0x40 | (d << 3) | 6), disp],
                _ => [0x66, 0xC7, 0x46, disp, imm[0], imm[1]],
            };
            case 52: return rng.Next(2) == 0 ? [0x66, 0xC7, (byte)(0xC0 | d), imm[0], imm[1]] : [0xF3, 0x90];
            // 16-bit group 2 (rolw $8 is the kernel's byte swap) on registers and memory, and 66 90.
            case 53: return [0x66, 0xC1, (byte)(0xC0 | (rng.Next(8) << 3) | d), (byte)(rng.Next(3) == 0 ? 8 : rng.Next(40))];
            case 54: return rng.Next(3) switch
            {
                0 => [0x66, 0xD1, (byte)(0xC0 | (rng.Next(8) << 3) | d)],
                1 => [0x66, 0xD3, (byte)(0xC0 | (rng.Next(8) << 3) | d)],
                _ => [0x66, 0xC1, (byte)(0x40 | (rng.Next(8) << 3) | 6), disp, (byte)rng.Next(33)],
            };
            case 55: return rng.Next(2) == 0 ? [0x66, 0x90] : [0x66, 0xD3, (byte)(0x40 | (rng.Next(8) << 3) | 6), disp];
            // MUL / IMUL / DIV r/m32 (a divisor made non-zero and above EDX only sometimes: #DE is the interpreter's), PUSH imm, CLD/STD.
            case 56: return rng.Next(2) == 0 ? [0xF7, (byte)(0xC0 | ((4 + rng.Next(2)) << 3) | d)] : [0xF7, (byte)(0x40 | ((4 + rng.Next(2)) << 3) | 6), disp];
            case 57: return rng.Next(3) == 0 ? [0xF7, (byte)(0xC0 | (6 << 3) | d)] : [0x31, 0xD2, 0xBB, .. BitConverter.GetBytes(rng.Next(1, 1 << 30)), 0xF7, 0xF3]; // xor edx,edx; mov ebx,n; div ebx
            case 58: return rng.Next(3) switch
            {
                0 => [0x6A, (byte)rng.Next(256), (byte)(0x58 + d)],
                1 => [0x68, .. imm, (byte)(0x58 + d)],
                _ => [(byte)(0xFC + rng.Next(2)), 0xFC],
            };
            // Byte group 2 (RCL/RCR left) by 1, an immediate and CL, on byte registers and memory.
            case 59: return rng.Next(4) switch
            {
                0 => [0xD0, (byte)(0xC0 | (rng.Next(8) << 3) | b)],
                1 => [0xC0, (byte)(0xC0 | (rng.Next(8) << 3) | b), (byte)rng.Next(40)],
                2 => [0xD2, (byte)(0xC0 | (rng.Next(8) << 3) | b)],
                _ => [(byte)(0xD0 + 2 * rng.Next(2)), (byte)(0x40 | (rng.Next(8) << 3) | 6), disp],
            };
            // 16-bit ALU (ADC/SBB left) in the ModRM forms, register and memory, and AX, imm16.
            case 60: return rng.Next(3) switch
            {
                0 => rng.Next(2) == 0 ? [0x66, (byte)((kind << 3) | 1), (byte)(0xC0 | (s << 3) | d)] : [0x66, (byte)((kind << 3) | 3), (byte)(0xC0 | (d << 3) | s)],
                1 => [0x66, (byte)((kind << 3) | 1), (byte)(0x40 | (s << 3) | 6), disp],
                _ => [0x66, (byte)((kind << 3) | 3), (byte)(0x40 | (d << 3) | 6), disp],
            };
            case 61: return rng.Next(4) switch
            {
                0 => [0x66, 0x81, (byte)(0xC0 | (kind << 3) | d), imm[0], imm[1]],
                1 => [0x66, 0x83, (byte)(0xC0 | (kind << 3) | d), (byte)rng.Next(256)],
                2 => [0x66, 0x83, (byte)(0x40 | (kind << 3) | 6), disp, (byte)rng.Next(256)],
                _ => [0x66, (byte)((kind << 3) | 5), imm[0], imm[1]],
            };
            // 16-bit TEST and INC/DEC.
            case 62: return rng.Next(4) switch
            {
                0 => [0x66, 0x85, (byte)(0xC0 | (s << 3) | d)],
                1 => [0x66, 0x85, (byte)(0x40 | (s << 3) | 6), disp],
                2 => [0x66, 0xA9, imm[0], imm[1]],
                _ => [0x66, 0xF7, (byte)(0xC0 | d), imm[0], imm[1]],
            };
            case 63: return rng.Next(3) switch
            {
                0 => [0x66, (byte)(0x40 + 8 * rng.Next(2) + d)],
                1 => [0x66, 0xFF, (byte)(0xC0 | (rng.Next(2) << 3) | d)],
                _ => [0x66, 0xFF, (byte)(0x40 | (rng.Next(2) << 3) | 6), disp],
            };
            // CMPXCHG (LOCK with memory, as the atomics use it) and XCHG with memory.
            case 64: return rng.Next(2) == 0 ? [0xF0, 0x0F, 0xB1, (byte)(0x40 | (s << 3) | 6), disp] : [0x0F, 0xB1, (byte)(0xC0 | (s << 3) | d)];
            case 65: return rng.Next(3) == 0 ? [0x8B, (byte)(0x40 | 6), disp, 0x0F, 0xB1, (byte)(0x40 | (d << 3) | 6), disp] : [0x87, (byte)(0x40 | (d << 3) | 6), disp];
            // MOVSB/MOVSD/STOSB/STOSD, with REP (0 to 16 elements) or alone, between places in the data
            // area that may overlap; ECX (the loop's counter) and ESI (the data pointer) kept around it.
            case 66:
            {
                byte op = (byte)(rng.Next(4) switch { 0 => 0xA4, 1 => 0xAA, 2 => 0xAC, _ => 0xAE } + rng.Next(2));
                byte[] edi = BitConverter.GetBytes(JitMachine.DataAddr + 128 + (uint)rng.Next(64));
                byte[] esi = BitConverter.GetBytes(JitMachine.DataAddr + (uint)rng.Next(160));
                byte[] ecx = BitConverter.GetBytes(rng.Next(17));
                // A 66 prefix makes the dword forms word forms.
                byte[] str = (rng.Next(3) == 0, (op & 1) != 0 && rng.Next(3) == 0) switch
                {
                    (true, true) => [0x66, op], (true, false) => [op], (false, true) => [0xF3, 0x66, op], _ => [0xF3, op],
                };
                // SCASB with REPNE, REPE or alone (SCASD is left to the interpreter).
                if (op == 0xAE) str = rng.Next(3) switch { 0 => [0xAE], 1 => [0xF2, 0xAE], _ => [0xF3, 0xAE] };
                // pushf; add eax, esi; xor eax, [esp]; add esp, 4: the flags (SCASB's) and ESI's advance show in EAX.
                return [0x51, 0x56, 0xBF, .. edi, 0xBE, .. esi, 0xB9, .. ecx, .. str, 0x9C, 0x01, 0xF0, 0x33, 0x04, 0x24, 0x83, 0xC4, 0x04, 0x5E, 0x59];
            }
            // SHLD / SHRD by an immediate (0 and past 31 included) and CL, register and memory.
            case 67:
            {
                byte op = (byte)(0xA4 + 8 * rng.Next(2) + rng.Next(2));
                byte[] operand = rng.Next(2) == 0 ? [(byte)(0xC0 | (s << 3) | d)] : [(byte)(0x40 | (s << 3) | 6), disp];
                return (op & 1) == 0 ? [0x0F, op, .. operand, (byte)rng.Next(40)] : [0x0F, op, .. operand];
            }
            // XADD (LOCK with memory), the register both distinct from and the same as r/m.
            case 68: return rng.Next(2) == 0 ? [0xF0, 0x0F, 0xC1, (byte)(0x40 | (d << 3) | 6), disp] : [0x0F, 0xC1, (byte)(0xC0 | (d << 3) | Dest[rng.Next(Dest.Length)])];
            // PUSHF; POP r32: the flags as the lazy state stands.
            case 69: return [0x9C, (byte)(0x58 + d)];
            // INC/DEC r/m8 (CF kept).
            case 70: return rng.Next(2) == 0 ? [0xFE, (byte)(0xC0 | (rng.Next(2) << 3) | b)] : [0xFE, (byte)(0x40 | (rng.Next(2) << 3) | 6), disp];
            // BT/BTS/BTR/BTC: register forms, memory with a small register offset (LOCK on the
            // writing ones sometimes), and the immediate group (0F BA /4-7).
            case 71: return [0x0F, (byte)(0xA3 + 8 * rng.Next(4)), (byte)(0xC0 | (s << 3) | d)];
            case 72:
            {
                byte op = (byte)(0xA3 + 8 * rng.Next(4));
                byte[] bt = [0x0F, op, (byte)(0x40 | (d << 3) | 6), (byte)rng.Next(0, 60)];
                return [(byte)(0xB8 + d), (byte)rng.Next(0, 256), 0, 0, 0, .. op != 0xA3 && rng.Next(2) == 0 ? [0xF0, .. bt] : bt];
            }
            case 73: return rng.Next(2) == 0
                ? [0x0F, 0xBA, (byte)(0xC0 | ((4 + rng.Next(4)) << 3) | d), (byte)rng.Next(256)]
                : [0x0F, 0xBA, (byte)(0x40 | ((4 + rng.Next(4)) << 3) | 6), disp, (byte)rng.Next(256)];
            // (LOCK) CMPXCHG8B [ESI+d8], equal (EDX:EAX loaded from it first) or as the registers stand.
            case 75:
            {
                byte[] cx8 = [0xF0, 0x0F, 0xC7, 0x4E, disp];
                return rng.Next(2) == 0 ? cx8 : [0x8B, 0x46, disp, 0x8B, 0x56, (byte)(disp + 4), .. cx8];
            }
            case 76: return [0xFA]; // CLI
            default: return [0xA9, .. imm];
        }
    }
}
