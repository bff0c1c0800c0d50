using System.Globalization;
using System.Text;

namespace Vm.Engine.Tests.Cpu;

/// <summary>
/// Differential tests: the same instruction bytes with the same registers, flags and memory run on
/// the host processor (Native/harness.c, gcc -m32) and on the engine; every register, the defined
/// flags and the memory buffer must agree, and so must the exception when one is raised.
/// </summary>
public class DifferentialTests
{
    private const uint CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, DF = 0x400, OF = 0x800;
    private const uint All = CF | PF | AF | ZF | SF | OF;
    private const int Cases = 400;

    public enum Kind { Alu, Shift, Div, Str, Mem, Fpu, Cmpxchg }

    /// <summary>An instruction form: its text, bytes, input kind and which flags are defined for given inputs.</summary>
    public sealed record Form(string Text, string Hex, Kind Kind, Func<uint[], uint> Defined)
    {
        public override string ToString() => Text;
    }

    private static Form F(string text, string hex, Kind kind, uint defined) => new(text, hex.Replace(" ", "", StringComparison.Ordinal), kind, _ => defined);

    private static readonly string[] ShiftNames = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"];

    private static Func<uint[], uint> ShiftFlags(int op, int bits, int? fixedCount)
    {
        return regs =>
        {
            int count = (fixedCount ?? (int)regs[1]) & 31;
            if (count == 0) return All;
            uint d = op < 4 ? All & ~OF : All & ~AF & ~OF;
            if (count == 1) d |= OF;
            if ((op == 4 || op == 5 || op == 6) && count >= bits) d &= ~CF;
            return d;
        };
    }

    private static Func<uint[], uint> DoubleShiftFlags(int? fixedCount) => regs =>
    {
        int count = (fixedCount ?? (int)regs[1]) & 31;
        if (count == 0) return All;
        return count == 1 ? All & ~AF : All & ~AF & ~OF;
    };

    public static IEnumerable<object[]> Forms()
    {
        var list = new List<Form>
        {
            F("add eax,ebx", "01 D8", Kind.Alu, All), F("or eax,ebx", "09 D8", Kind.Alu, All & ~AF),
            F("adc eax,ebx", "11 D8", Kind.Alu, All), F("sbb eax,ebx", "19 D8", Kind.Alu, All),
            F("and eax,ebx", "21 D8", Kind.Alu, All & ~AF), F("sub eax,ebx", "29 D8", Kind.Alu, All),
            F("xor eax,ebx", "31 D8", Kind.Alu, All & ~AF), F("cmp eax,ebx", "39 D8", Kind.Alu, All),
            F("add ax,bx", "66 01 D8", Kind.Alu, All), F("sbb ax,bx", "66 19 D8", Kind.Alu, All), F("sub cx,dx", "66 29 D1", Kind.Alu, All),
            F("add al,bl", "00 D8", Kind.Alu, All), F("adc ah,bh", "10 FC", Kind.Alu, All), F("sub cl,dh", "28 F1", Kind.Alu, All),
            F("sbb dl,al", "18 C2", Kind.Alu, All), F("cmp bl,ch", "38 EB", Kind.Alu, All),
            F("add eax,0x7fffffff", "05 FF FF FF 7F", Kind.Alu, All), F("sub ebx,-1", "83 EB FF", Kind.Alu, All),
            F("and ecx,0x0f0f0f0f", "81 E1 0F 0F 0F 0F", Kind.Alu, All & ~AF), F("cmp dl,0x80", "80 FA 80", Kind.Alu, All),
            F("adc al,0x7f", "14 7F", Kind.Alu, All),
            F("add [esi],eax", "01 06", Kind.Mem, All), F("sub eax,[esi+4]", "2B 46 04", Kind.Mem, All),
            F("xor byte [esi+1],bl", "30 5E 01", Kind.Mem, All & ~AF), F("inc dword [esi]", "FF 06", Kind.Mem, All),
            F("neg word [esi+2]", "66 F7 5E 02", Kind.Mem, All), F("sbb byte [esi+3],0x11", "80 5E 03 11", Kind.Mem, All),
            F("inc eax", "40", Kind.Alu, All), F("dec ecx", "49", Kind.Alu, All), F("inc bl", "FE C3", Kind.Alu, All), F("dec dx", "66 4A", Kind.Alu, All),
            F("neg eax", "F7 D8", Kind.Alu, All), F("neg bl", "F6 DB", Kind.Alu, All), F("not ecx", "F7 D1", Kind.Alu, All),
            F("test eax,ebx", "85 D8", Kind.Alu, All & ~AF), F("test al,0x81", "A8 81", Kind.Alu, All & ~AF),
            F("shl eax,1", "D1 E0", Kind.Alu, All & ~AF), F("shr ebx,1", "D1 EB", Kind.Alu, All & ~AF), F("sar ecx,1", "D1 F9", Kind.Alu, All & ~AF),
            new("rol edx,4", "C1C204", Kind.Alu, ShiftFlags(0, 32, 4)), new("shr eax,31", "C1E81F", Kind.Alu, ShiftFlags(5, 32, 31)),
            new("sar bl,7", "C0FB07", Kind.Alu, ShiftFlags(7, 8, 7)),
            new("shld eax,ebx,cl", "0FA5D8", Kind.Shift, DoubleShiftFlags(null)), new("shrd eax,ebx,cl", "0FADD8", Kind.Shift, DoubleShiftFlags(null)),
            new("shld eax,ebx,5", "0FA4D805", Kind.Alu, DoubleShiftFlags(5)), new("shrd edx,ecx,1", "0FACCA01", Kind.Alu, DoubleShiftFlags(1)),
            F("mul ebx", "F7 E3", Kind.Alu, CF | OF), F("imul ebx", "F7 EB", Kind.Alu, CF | OF), F("mul bl", "F6 E3", Kind.Alu, CF | OF),
            F("imul cx", "66 F7 E9", Kind.Alu, CF | OF), F("imul eax,ebx", "0F AF C3", Kind.Alu, CF | OF), F("imul ecx,edx,-7", "6B CA F9", Kind.Alu, CF | OF),
            F("imul eax,ebx,0x12345", "69 C3 45 23 01 00", Kind.Alu, CF | OF),
            F("div ebx", "F7 F3", Kind.Div, 0), F("idiv ebx", "F7 FB", Kind.Div, 0), F("div bl", "F6 F3", Kind.Div, 0), F("idiv cx", "66 F7 F9", Kind.Div, 0),
            F("div word [esi]", "66 F7 36", Kind.Div, 0),
            F("daa", "27", Kind.Alu, All & ~OF), F("das", "2F", Kind.Alu, All & ~OF), F("aaa", "37", Kind.Alu, CF | AF), F("aas", "3F", Kind.Alu, CF | AF),
            F("aam 10", "D4 0A", Kind.Alu, SF | ZF | PF), F("aad 10", "D5 0A", Kind.Alu, SF | ZF | PF), F("aam 0", "D4 00", Kind.Alu, SF | ZF | PF),
            F("bt eax,ebx", "0F A3 D8", Kind.Alu, CF), F("bts eax,ebx", "0F AB D8", Kind.Alu, CF), F("btr ecx,edx", "0F B3 D1", Kind.Alu, CF),
            F("btc eax,ebx", "0F BB D8", Kind.Alu, CF), F("bt eax,13", "0F BA E0 0D", Kind.Alu, CF), F("bts dword [esi],ebx", "0F AB 1E", Kind.Mem, CF),
            F("btc word [esi+8],3", "66 0F BA 7E 08 03", Kind.Mem, CF),
            F("bsf eax,ebx", "0F BC C3", Kind.Alu, ZF), F("bsr eax,ebx", "0F BD C3", Kind.Alu, ZF),
            F("xadd eax,ebx", "0F C1 D8", Kind.Alu, All), F("cmpxchg ecx,ebx", "0F B1 D9", Kind.Cmpxchg, All),
            F("cmpxchg8b [esi]", "0F C7 0E", Kind.Cmpxchg, All), F("bswap eax", "0F C8", Kind.Alu, All), F("xchg eax,ebx", "87 D8", Kind.Alu, All),
            F("movzx eax,bl", "0F B6 C3", Kind.Alu, All), F("movsx ecx,dx", "0F BF CA", Kind.Alu, All), F("movsx ax,bh", "66 0F BE C7", Kind.Alu, All),
            F("lea eax,[ebx+ecx*4+0x10]", "8D 44 8B 10", Kind.Alu, All),
            F("cwde", "98", Kind.Alu, All), F("cdq", "99", Kind.Alu, All), F("cbw", "66 98", Kind.Alu, All), F("cwd", "66 99", Kind.Alu, All),
            F("lahf", "9F", Kind.Alu, All), F("sahf", "9E", Kind.Alu, All), F("cmc", "F5", Kind.Alu, All), F("pushfd; pop eax", "9C 58", Kind.Alu, All),
            F("push ebx; pop ecx", "53 59", Kind.Alu, All), F("pushad; popad", "60 61", Kind.Alu, All),
            F("rep movsb", "F3 A4", Kind.Str, All), F("rep movsd", "F3 A5", Kind.Str, All), F("rep movsw", "66 F3 A5", Kind.Str, All),
            F("rep stosb", "F3 AA", Kind.Str, All), F("rep stosd", "F3 AB", Kind.Str, All), F("repe cmpsb", "F3 A6", Kind.Str, All),
            F("repne scasb", "F2 AE", Kind.Str, All), F("repe cmpsd", "F3 A7", Kind.Str, All), F("lodsd", "AD", Kind.Str, All), F("movsw", "66 A5", Kind.Str, All),
            F("hlt (#GP at CPL 3)", "F4", Kind.Alu, All), F("cli (#GP at IOPL 0)", "FA", Kind.Alu, All), F("ud2 (#UD)", "0F 0B", Kind.Alu, All),
            F("in al,dx (#GP)", "EC", Kind.Alu, All), F("mov eax,cr0 (#GP)", "0F 20 C0", Kind.Alu, All), F("undefined 0F FF (#UD)", "0F FF", Kind.Alu, All),
            F("fld; fadd m32; fstp m32", "DB E3 D9 06 D8 46 04 D9 5E 08", Kind.Fpu, All),
            F("fld; fsub m32; fstp m32", "DB E3 D9 06 D8 66 04 D9 5E 08", Kind.Fpu, All),
            F("fld; fsubr m32; fstp m32", "DB E3 D9 06 D8 6E 04 D9 5E 08", Kind.Fpu, All),
            F("fld; fmul m32; fstp m32", "DB E3 D9 06 D8 4E 04 D9 5E 08", Kind.Fpu, All),
            F("fld; fdiv m32; fstp m32", "DB E3 D9 06 D8 76 04 D9 5E 08", Kind.Fpu, All),
            F("fld; fdivr m32; fstp m32", "DB E3 D9 06 D8 7E 04 D9 5E 08", Kind.Fpu, All),
            F("fld; fsqrt; fstp m32", "DB E3 D9 06 D9 E1 D9 FA D9 5E 08", Kind.Fpu, All),
            F("fld; fchs; fstp m32", "DB E3 D9 06 D9 E0 D9 5E 08", Kind.Fpu, All),
            F("fld; frndint; fstp m32", "DB E3 D9 06 D9 FC D9 5E 08", Kind.Fpu, All),
            F("fld; fistp m32", "DB E3 D9 06 DB 5E 08", Kind.Fpu, All),
            F("fild m32; fistp m16", "DB E3 DB 06 DF 5E 08", Kind.Fpu, All),
            F("fild m32; fmul m32; fistp m64", "DB E3 DB 06 D8 4E 04 DF 7E 08", Kind.Fpu, All),
            F("fld; fcomp m32; fnstsw ax", "DB E3 D9 06 D8 5E 04 DF E0", Kind.Fpu, All),
            F("fld; fld; fcomi; fnstsw ax", "DB E3 D9 06 D9 46 04 DB F1 DF E0", Kind.Fpu, All),
            F("fld m32; fstp m64", "DB E3 D9 06 DD 5E 08", Kind.Fpu, All),
            F("fld m32; fstp m80", "DB E3 D9 06 DB 7E 08", Kind.Fpu, All),
        };
        for (int op = 0; op < 8; op++)
        {
            if (op == 6) continue; // SAL is SHL
            list.Add(new($"{ShiftNames[op]} eax,cl", $"D3{0xC0 | (op << 3):X2}", Kind.Shift, ShiftFlags(op, 32, null)));
            list.Add(new($"{ShiftNames[op]} bl,cl", $"D2{0xC3 | (op << 3):X2}", Kind.Shift, ShiftFlags(op, 8, null)));
            list.Add(new($"{ShiftNames[op]} dx,cl", $"66D3{0xC2 | (op << 3):X2}", Kind.Shift, ShiftFlags(op, 16, null)));
        }
        string[] cc = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
        for (int c = 0; c < 16; c++)
        {
            list.Add(F($"cmov{cc[c]} eax,ebx", $"0F {0x40 + c:X2} C3", Kind.Alu, All));
            list.Add(F($"set{cc[c]} al", $"0F {0x90 + c:X2} C0", Kind.Alu, All));
            // Conditional jumps (skipping an INC when taken) after each kind of lazy flag state.
            list.Add(F($"cmp eax,ebx; j{cc[c]} +1; inc ecx", $"39 D8 {0x70 + c:X2} 01 41", Kind.Alu, All));
            list.Add(F($"sub eax,ebx; j{cc[c]} near +1; inc ecx", $"29 D8 0F {0x80 + c:X2} 01 00 00 00 41", Kind.Alu, All));
            list.Add(F($"add eax,ebx; j{cc[c]} +1; inc ecx", $"01 D8 {0x70 + c:X2} 01 41", Kind.Alu, All));
            list.Add(F($"test eax,ebx; j{cc[c]} +1; inc ecx", $"85 D8 {0x70 + c:X2} 01 41", Kind.Alu, All & ~AF));
            list.Add(F($"dec eax; j{cc[c]} +1; inc ecx", $"48 {0x70 + c:X2} 01 41", Kind.Alu, All));
            // Compare-and-branch pairs the block decoder fuses, one per fused form.
            list.Add(F($"cmp eax,ebx (3B); j{cc[c]} +1; inc ecx", $"3B C3 {0x70 + c:X2} 01 41", Kind.Alu, All));
            list.Add(F($"cmp ecx,0x40; j{cc[c]} +1; inc edx", $"83 F9 40 {0x70 + c:X2} 01 42", Kind.Alu, All));
            list.Add(F($"cmp eax,0x80000000; j{cc[c]} +1; inc edx", $"3D 00 00 00 80 {0x70 + c:X2} 01 42", Kind.Alu, All));
            list.Add(F($"cmp dword [esi+4],0x1000; j{cc[c]} +1; inc ecx", $"81 7E 04 00 10 00 00 {0x70 + c:X2} 01 41", Kind.Mem, All));
            list.Add(F($"cmp ebx,[esi+4]; j{cc[c]} +1; inc ecx", $"3B 5E 04 {0x70 + c:X2} 01 41", Kind.Mem, All));
            list.Add(F($"cmp [esi+4],ebx; j{cc[c]} +1; inc ecx", $"39 5E 04 {0x70 + c:X2} 01 41", Kind.Mem, All));
            list.Add(new($"shl eax,cl; j{cc[c]} +1; inc edx", $"D3E0{0x70 + c:X2}0142", Kind.Shift, regs => (regs[1] & 31) == 0 ? All : (regs[1] & 31) == 1 ? All & ~AF : All & ~AF & ~OF));
        }
        // Rotates keep SF/ZF/PF/AF of the operation before them (held lazily until read).
        list.Add(new("add eax,ebx; rol eax,cl", "01D8D3C0", Kind.Shift, regs => (regs[1] & 31) is 0 or 1 ? All : All & ~OF));
        list.Add(F("sub eax,ebx; ror edx,7; ror edx,3", "29 D8 C1 CA 07 C1 CA 03", Kind.Alu, All & ~OF));
        list.Add(F("xor eax,ebx; rol edx,5; sbb ecx,ecx", "31 D8 C1 C2 05 19 C9", Kind.Alu, All));
        list.Add(F("add eax,ebx; ror edx,9; setz cl; setc ch; sets bl; setp bh", "01 D8 C1 CA 09 0F 94 C1 0F 92 C5 0F 98 C3 0F 9A C7", Kind.Alu, All & ~OF));
        list.Add(F("inc eax; rol ebx,1; pushfd; pop ecx", "40 D1 C3 9C 59", Kind.Alu, All));
        list.Add(F("shr eax,1; ror ebx,1", "D1 E8 D1 CB", Kind.Alu, All & ~AF));
        // Specialized memory forms: base+disp, base+index*scale+disp, read-modify-write.
        list.Add(F("mov eax,[esi+8]; mov edi,0x10; add eax,[esi+edi*4+4]", "8B 46 08 BF 10 00 00 00 03 44 BE 04", Kind.Mem, All));
        list.Add(F("xor [esi+12],ebx; cmp dword [esi+12],0x1234", "31 5E 0C 81 7E 0C 34 12 00 00", Kind.Mem, All & ~AF));
        list.Add(F("sub dword [esi+4],7; movzx ecx,byte [esi+4]; movzx edx,word [esi+5]", "83 6E 04 07 0F B6 4E 04 0F B7 56 05", Kind.Mem, All));
        list.Add(F("cmp byte [esi+4],0x41; mov cl,[esi+5]; mov [esi+6],ch; test bl,dh", "80 7E 04 41 8A 4E 05 88 6E 06 84 F3", Kind.Mem, All & ~AF));
        list.Add(F("cmp byte [esi+4],0x41; mov ch,[esi+5]", "80 7E 04 41 8A 6E 05", Kind.Mem, All));
        list.Add(F("push 0x12; pop ecx; push -3; pop edx", "6A 12 59 6A FD 5A", Kind.Alu, All));
        list.Add(F("push dword [esi+4]; pop ecx; inc dword [esi+8]; dec dword [esi+12]", "FF 76 04 59 FF 46 08 FF 4E 0C", Kind.Mem, All));
        list.Add(F("mov ax,[esi+4]; mov [esi+9],bx; mov ecx,8; mov dx,[esi+ecx*2+0x20]", "66 8B 46 04 66 89 5E 09 B9 08 00 00 00 66 8B 54 4E 20", Kind.Mem, All));
        list.Add(F("imul eax,[esi+4],100", "6B 46 04 64", Kind.Mem, CF | OF));
        list.Add(F("cmp eax,ebx; cmovl ecx,[esi+4]", "39 D8 0F 4C 4E 04", Kind.Mem, All));
        list.Add(F("and [esi],eax; test [esi+4],ebx; lea edi,[esi+eax*4+0x40]", "21 06 85 5E 04 8D 7C 86 40", Kind.Mem, All & ~AF));
        return list.Select(f => new object[] { f });
    }

    private static readonly uint[] Edges = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF];

    private static uint Value(Random rng)
    {
        int k = rng.Next(4);
        if (k == 0) return Edges[rng.Next(Edges.Length)];
        if (k == 1) return (uint)rng.Next(0, 64);
        return (uint)rng.NextInt64(0, 1L << 32);
    }

    internal static (uint[] Regs, uint Flags, byte[] Mem) Inputs(Form f, Random rng, int n)
    {
        var regs = new uint[8];
        for (int r = 0; r < 8; r++) regs[r] = Value(rng);
        regs[4] = 0x00A00800; // ESP in the stack page
        uint flags = 0x202 | ((uint)rng.Next(0, 1 << 12) & All);
        var mem = new byte[EngineRunner.MemSize];
        rng.NextBytes(mem);
        switch (f.Kind)
        {
            case Kind.Shift:
                regs[1] = n % 3 == 0 ? (uint)rng.Next(0, 33) : (uint)(n % 34) | ((uint)rng.Next() & 0xFFFFFF00 & (n % 5 == 0 ? ~0u : 0));
                break;
            case Kind.Div:
                if (n % 3 != 0) regs[2] = (uint)rng.Next(0, 4); // small high half: mostly no #DE
                if (n % 7 == 0) regs[3] = 0;
                regs[6] = EngineRunner.DataAddr + 0x100;
                if (n % 7 == 1) { mem[0x100] = 0; mem[0x101] = 0; }
                break;
            case Kind.Mem:
                regs[6] = EngineRunner.DataAddr + 0x100;
                regs[3] = (uint)rng.Next(-512, 1024);
                break;
            case Kind.Cmpxchg:
                regs[6] = EngineRunner.DataAddr + 0x100;
                if (n % 2 == 0)
                {
                    regs[0] = regs[1]; // cmpxchg ecx: equal case
                    regs[0] = f.Hex.StartsWith("0FC7", StringComparison.Ordinal) ? BitConverter.ToUInt32(mem, 0x100) : regs[0];
                    if (f.Hex.StartsWith("0FC7", StringComparison.Ordinal)) regs[2] = BitConverter.ToUInt32(mem, 0x104);
                }
                break;
            case Kind.Str:
                if (rng.Next(2) == 0) flags |= DF;
                regs[1] = (uint)rng.Next(0, 33);
                regs[6] = EngineRunner.DataAddr + 128 + (uint)rng.Next(0, 64);
                regs[7] = EngineRunner.DataAddr + 320 + (uint)rng.Next(0, 64);
                if (n % 3 == 0) Array.Copy(mem, (int)(regs[6] - EngineRunner.DataAddr) - 64, mem, (int)(regs[7] - EngineRunner.DataAddr) - 64, 128); // mostly-equal strings for CMPS
                if (n % 4 == 0) regs[0] = mem[regs[7] - EngineRunner.DataAddr + (uint)(n % 8)];
                break;
            case Kind.Fpu:
            {
                regs[6] = EngineRunner.DataAddr + 0x100;
                for (int k = 0; k < 2; k++)
                {
                    float v = (n % 4) switch
                    {
                        0 => (float)(rng.NextDouble() * 2000 - 1000),
                        1 => (float)Math.Round(rng.NextDouble() * 200 - 100) + 0.5f,
                        2 => BitConverter.Int32BitsToSingle((rng.Next() & 0x3FFFFFFF) | 0x1000000) * (rng.Next(2) == 0 ? 1 : -1),
                        _ => rng.Next(-100000, 100000),
                    };
                    if (n % 4 == 3 && f.Text.StartsWith("fild", StringComparison.Ordinal))
                        BitConverter.TryWriteBytes(mem.AsSpan(0x100 + 4 * k), (int)v * (n % 8 == 3 ? 1000 : 1));
                    else
                        BitConverter.TryWriteBytes(mem.AsSpan(0x100 + 4 * k), v);
                }
                if (n % 10 == 0) Array.Copy(mem, 0x100, mem, 0x104, 4); // equal operands for compares
                break;
            }
        }
        if (f.Kind != Kind.Alu && f.Kind != Kind.Shift) return (regs, flags, mem);
        if (f.Text.StartsWith("lea", StringComparison.Ordinal) || f.Text.StartsWith("push", StringComparison.Ordinal)) return (regs, flags, mem);
        return (regs, flags, mem);
    }

    private static int VectorForSignal(int sig) => sig switch
    {
        0 => -1,
        4 => 6,   // SIGILL: #UD
        8 => 0,   // SIGFPE: #DE
        11 => 13, // SIGSEGV: #GP (or #PF)
        5 => 3,
        7 => 17,
        _ => 1000 + sig,
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void Instruction_MatchesHostProcessor(Form form)
    {
        var rng = new Random(form.Text.Aggregate(17, (h, c) => h * 31 + c));
        byte[] code = Convert.FromHexString(form.Hex);
        var cases = new List<(uint[] Regs, uint Flags, byte[] Mem)>();
        var lines = new List<string>();
        for (int n = 0; n < Cases; n++)
        {
            var c = Inputs(form, rng, n);
            cases.Add(c);
            var sb = new StringBuilder(form.Hex);
            foreach (var r in c.Regs) sb.Append(' ').Append(r.ToString("x", CultureInfo.InvariantCulture));
            sb.Append(' ').Append(c.Flags.ToString("x", CultureInfo.InvariantCulture)).Append(' ').Append(Convert.ToHexString(c.Mem));
            lines.Add(sb.ToString());
        }
        string[] native = NativeHarness.Run(lines);
        using var engine = new EngineRunner();
        var failures = new List<string>();
        for (int n = 0; n < Cases && failures.Count < 5; n++)
        {
            var (regs, flags, mem) = cases[n];
            var parts = native[n].Split(' ');
            int vec = VectorForSignal(int.Parse(parts[0], CultureInfo.InvariantCulture));
            var got = engine.Run(code, regs, flags, mem);
            string input = $"in: eax={regs[0]:X8} ecx={regs[1]:X8} edx={regs[2]:X8} ebx={regs[3]:X8} esi={regs[6]:X8} edi={regs[7]:X8} fl={flags:X}";
            if (vec != got.Vector)
            {
                if (!(vec == 13 && got.Vector == 14))
                    failures.Add($"{input}: host exception {vec}, engine {got.Vector}");
                continue;
            }
            if (vec >= 0) continue;
            uint defined = form.Defined(regs) | DF;
            string[] names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
            for (int r = 0; r < 8; r++)
            {
                uint want = uint.Parse(parts[1 + r], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (want != got.Regs[r]) failures.Add($"{input}: {names[r]} host {want:X8} engine {got.Regs[r]:X8}");
            }
            uint wantFl = uint.Parse(parts[9], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if ((wantFl & defined) != (got.Eflags & defined))
                failures.Add($"{input}: eflags host {wantFl & defined:X} engine {got.Eflags & defined:X} (defined mask {defined:X})");
            byte[] wantMem = Convert.FromHexString(parts[10]);
            int diff = Enumerable.Range(0, wantMem.Length).FirstOrDefault(k => wantMem[k] != got.Mem[k], -1);
            if (diff >= 0) failures.Add($"{input}: memory +0x{diff:X} host {wantMem[diff]:X2} engine {got.Mem[diff]:X2}");
        }
        Assert.True(failures.Count == 0, $"{form.Text}:\n" + string.Join("\n", failures));
    }

    /// <summary>
    /// The block loop (decoded blocks, specialized handlers, compare-and-branch fusion, block
    /// links, lazy flags carried across instructions) against single steps, which the test
    /// above checks against the host: same exception, registers, all arithmetic flags, memory.
    /// </summary>
    [Theory]
    [MemberData(nameof(Forms))]
    public void Blocks_MatchSingleSteps(Form form)
    {
        var rng = new Random(form.Text.Aggregate(19, (h, c) => h * 31 + c));
        byte[] code = Convert.FromHexString(form.Hex);
        using var stepped = new EngineRunner();
        using var blocks = new EngineRunner();
        var failures = new List<string>();
        for (int n = 0; n < Cases && failures.Count < 5; n++)
        {
            var (regs, flags, mem) = Inputs(form, rng, n);
            var want = stepped.Run(code, regs, flags, mem);
            var got = blocks.Run(code, regs, flags, mem, viaBlocks: true);
            string input = $"in: eax={regs[0]:X8} ecx={regs[1]:X8} edx={regs[2]:X8} ebx={regs[3]:X8} esi={regs[6]:X8} edi={regs[7]:X8} fl={flags:X}";
            if (want.Vector != got.Vector) { failures.Add($"{input}: steps exception {want.Vector}, blocks {got.Vector}"); continue; }
            if (want.Vector >= 0) continue;
            for (int r = 0; r < 8; r++)
            {
                if (want.Regs[r] != got.Regs[r]) failures.Add($"{input}: r{r} steps {want.Regs[r]:X8} blocks {got.Regs[r]:X8}");
            }
            if ((want.Eflags & 0x8D5) != (got.Eflags & 0x8D5)) failures.Add($"{input}: eflags steps {want.Eflags:X} blocks {got.Eflags:X}");
            if (!want.Mem.AsSpan().SequenceEqual(got.Mem)) failures.Add($"{input}: memory differs");
        }
        Assert.True(failures.Count == 0, $"{form.Text}:\n" + string.Join("\n", failures));
    }
}
