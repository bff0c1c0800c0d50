using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu.Decoding;

/// <summary>Supplies instruction bytes; returns -1 where the caller does not want decoding to go (page end).</summary>
public interface IByteSource
{
    int Fetch(int offset);
}

/// <summary>Decodes one instruction into an <see cref="Instr"/>. Undefined opcodes decode to <see cref="Undefined"/>.</summary>
public static class Decoder
{
    /// <summary>Op index of an undefined encoding: executing it raises #UD.</summary>
    public const ushort Undefined = 0xFFFF;

    /// <summary>Decodes at offset 0 of <paramref name="src"/>. Returns false when the bytes ran out (source said -1).</summary>
    public static bool TryDecode(IByteSource src, bool code32, out Instr instr)
    {
        instr = default;
        int pos = 0;
        Pfx pfx = code32 ? Pfx.None : (Pfx.O16 | Pfx.A16);
        int seg = -1;
        int b;
        int op;
        while (true)
        {
            if (pos >= 15) { instr = Ud(15); return true; }
            b = src.Fetch(pos++);
            if (b < 0) return false;
            switch (b)
            {
                case 0x26: seg = Reg.Es; continue;
                case 0x2E: seg = Reg.Cs; continue;
                case 0x36: seg = Reg.Ss; continue;
                case 0x3E: seg = Reg.Ds; continue;
                case 0x64: seg = Reg.Fs; continue;
                case 0x65: seg = Reg.Gs; continue;
                case 0x66: pfx = code32 ? pfx | Pfx.O16 : pfx & ~Pfx.O16; continue;
                case 0x67: pfx = code32 ? pfx | Pfx.A16 : pfx & ~Pfx.A16; continue;
                case 0xF0: pfx |= Pfx.Lock; continue;
                case 0xF2: pfx = (pfx & ~Pfx.Rep) | Pfx.Repne; continue;
                case 0xF3: pfx = (pfx & ~Pfx.Repne) | Pfx.Rep; continue;
            }
            break;
        }
        op = b;
        if (b == 0x0F)
        {
            b = src.Fetch(pos++);
            if (b < 0) return false;
            op = 0x100 | b;
        }
        Op f = OpcodeTable.Flags[op];
        if ((f & Op.Valid) == 0 || (f & Op.Prefix) != 0)
        {
            instr = Ud((byte)pos);
            return true;
        }
        byte modrm = 0, @base = Instr.NoReg, index = Instr.NoReg, scale = 0;
        int disp = 0, imm = 0, imm2 = 0;
        int defSeg = Reg.Ds;
        bool a16 = (pfx & Pfx.A16) != 0;
        if ((f & Op.ModRm) != 0)
        {
            b = src.Fetch(pos++);
            if (b < 0) return false;
            modrm = (byte)b;
            int mod = modrm >> 6, rm = modrm & 7;
            if (mod != 3)
            {
                pfx |= Pfx.Mem;
                if (a16)
                {
                    switch (rm)
                    {
                        case 0: @base = Reg.Ebx; index = Reg.Esi; break;
                        case 1: @base = Reg.Ebx; index = Reg.Edi; break;
                        case 2: @base = Reg.Ebp; index = Reg.Esi; defSeg = Reg.Ss; break;
                        case 3: @base = Reg.Ebp; index = Reg.Edi; defSeg = Reg.Ss; break;
                        case 4: @base = Reg.Esi; break;
                        case 5: @base = Reg.Edi; break;
                        case 6: if (mod != 0) { @base = Reg.Ebp; defSeg = Reg.Ss; } break;
                        case 7: @base = Reg.Ebx; break;
                    }
                    if (mod == 1) { if (!Get(src, ref pos, 1, out disp)) return false; disp = (sbyte)disp; }
                    else if (mod == 2 || (mod == 0 && rm == 6)) { if (!Get(src, ref pos, 2, out disp)) return false; disp = (short)disp; }
                }
                else
                {
                    if (rm == 4)
                    {
                        b = src.Fetch(pos++);
                        if (b < 0) return false;
                        int sBase = b & 7, sIdx = (b >> 3) & 7;
                        scale = (byte)(b >> 6);
                        if (sIdx != 4) index = (byte)sIdx;
                        if (sBase == 5 && mod == 0)
                        {
                            if (!Get(src, ref pos, 4, out disp)) return false;
                        }
                        else
                        {
                            @base = (byte)sBase;
                            if (sBase == Reg.Esp || sBase == Reg.Ebp) defSeg = Reg.Ss;
                        }
                    }
                    else if (rm == 5 && mod == 0)
                    {
                        if (!Get(src, ref pos, 4, out disp)) return false;
                    }
                    else
                    {
                        @base = (byte)rm;
                        if (rm == Reg.Ebp) defSeg = Reg.Ss;
                    }
                    if (mod == 1) { if (!Get(src, ref pos, 1, out disp)) return false; disp = (sbyte)disp; }
                    else if (mod == 2) { if (!Get(src, ref pos, 4, out disp)) return false; }
                }
            }
        }
        else if ((f & Op.Moffs) != 0)
        {
            pfx |= Pfx.Mem;
            if (!Get(src, ref pos, a16 ? 2 : 4, out disp)) return false;
        }
        bool o16 = (pfx & Pfx.O16) != 0;
        if ((f & Op.TestImm) != 0 && ((modrm >> 3) & 7) < 2)
        {
            f |= op == 0xF6 ? Op.Ib : Op.Iz;
        }
        if ((f & Op.Iw) != 0)
        {
            if (!Get(src, ref pos, 2, out imm)) return false;
            if ((f & Op.Ib) != 0) { if (!Get(src, ref pos, 1, out imm2)) return false; }
        }
        else if ((f & Op.Ib) != 0)
        {
            if (!Get(src, ref pos, 1, out imm)) return false;
            imm = (sbyte)imm;
        }
        else if ((f & Op.Iz) != 0)
        {
            if (o16) { if (!Get(src, ref pos, 2, out imm)) return false; imm = (short)imm; }
            else if (!Get(src, ref pos, 4, out imm)) return false;
        }
        else if ((f & Op.Ap) != 0)
        {
            if (!Get(src, ref pos, o16 ? 2 : 4, out imm)) return false;
            if (!Get(src, ref pos, 2, out imm2)) return false;
        }
        if (pos > 15) { instr = Ud(15); return true; }
        if (seg >= 0) { defSeg = seg; pfx |= Pfx.SegOverride; }
        instr = new Instr((ushort)op, (byte)pos, pfx, modrm, (byte)defSeg, @base, index, scale, disp, imm, imm2);
        return true;
    }

    private static Instr Ud(int len) => new(Undefined, (byte)Math.Max(len, 1), Pfx.None, 0, Reg.Ds, Instr.NoReg, Instr.NoReg, 0, 0, 0, 0);

    private static bool Get(IByteSource src, ref int pos, int n, out int value)
    {
        value = 0;
        for (int i = 0; i < n; i++)
        {
            int b = src.Fetch(pos++);
            if (b < 0) return false;
            value |= b << (8 * i);
        }
        return true;
    }
}
