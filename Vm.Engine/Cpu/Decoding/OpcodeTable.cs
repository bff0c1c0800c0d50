namespace Vm.Engine.Cpu.Decoding;

/// <summary>Per-opcode decoding facts.</summary>
[Flags]
public enum Op : ushort
{
    None = 0,
    /// <summary>A ModRM byte follows.</summary>
    ModRm = 1,
    /// <summary>8-bit immediate.</summary>
    Ib = 2,
    /// <summary>16-bit immediate.</summary>
    Iw = 4,
    /// <summary>16- or 32-bit immediate by operand size.</summary>
    Iz = 8,
    /// <summary>Far pointer: offset (16/32) then 16-bit selector.</summary>
    Ap = 16,
    /// <summary>Memory offset (16/32 by address size), no ModRM.</summary>
    Moffs = 32,
    /// <summary>Ends a decoded block (control transfer or state the next instruction depends on).</summary>
    EndsBlock = 64,
    /// <summary>Documentation: behaviour depends on operand size.</summary>
    OperandSize = 128,
    /// <summary>Group 3 (F6/F7): /0 and /1 (TEST) carry an immediate.</summary>
    TestImm = 256,
    /// <summary>Defined (anything else raises #UD).</summary>
    Valid = 512,
    /// <summary>A prefix byte.</summary>
    Prefix = 1024,
}

/// <summary>
/// The single source of truth for decoding: one line per encoding of the one-byte and 0F maps,
/// with the mnemonic in Intel operand codes. The interpreter dispatches on the opcode index
/// (a switch compiles to a jump table; see docs/engine.md).
/// </summary>
public static class OpcodeTable
{
    public static readonly Op[] Flags = new Op[512];
    public static readonly string[] Names = new string[512];

    private static void Define(int op, string name, Op flags)
    {
        Flags[op] = flags | Op.Valid;
        Names[op] = name;
    }

    private static void Range(int first, int count, string name, Op flags)
    {
        for (int i = 0; i < count; i++) Define(first + i, name, flags);
    }

    static OpcodeTable()
    {
        const Op M = Op.ModRm, V = Op.OperandSize, E = Op.EndsBlock;
        string[] alu = ["ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"];
        for (int a = 0; a < 8; a++)
        {
            int b = a * 8;
            Define(b + 0, $"{alu[a]} Eb,Gb", M);
            Define(b + 1, $"{alu[a]} Ev,Gv", M | V);
            Define(b + 2, $"{alu[a]} Gb,Eb", M);
            Define(b + 3, $"{alu[a]} Gv,Ev", M | V);
            Define(b + 4, $"{alu[a]} AL,Ib", Op.Ib);
            Define(b + 5, $"{alu[a]} eAX,Iz", Op.Iz | V);
        }
        Define(0x06, "PUSH ES", Op.None); Define(0x07, "POP ES", E);
        Define(0x0E, "PUSH CS", Op.None);
        Define(0x16, "PUSH SS", Op.None); Define(0x17, "POP SS", E);
        Define(0x1E, "PUSH DS", Op.None); Define(0x1F, "POP DS", E);
        foreach (int p in new[] { 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3 }) Define(p, "prefix", Op.Prefix);
        Define(0x27, "DAA", Op.None); Define(0x2F, "DAS", Op.None); Define(0x37, "AAA", Op.None); Define(0x3F, "AAS", Op.None);
        Range(0x40, 8, "INC Zv", V); Range(0x48, 8, "DEC Zv", V);
        Range(0x50, 8, "PUSH Zv", V); Range(0x58, 8, "POP Zv", V);
        Define(0x60, "PUSHA", V); Define(0x61, "POPA", V);
        Define(0x62, "BOUND Gv,Ma", M | V);
        Define(0x68, "PUSH Iz", Op.Iz | V); Define(0x69, "IMUL Gv,Ev,Iz", M | Op.Iz | V);
        Define(0x6A, "PUSH Ib", Op.Ib); Define(0x6B, "IMUL Gv,Ev,Ib", M | Op.Ib | V);
        Define(0x6C, "INSB", Op.None); Define(0x6D, "INS Zv", V); Define(0x6E, "OUTSB", Op.None); Define(0x6F, "OUTS Zv", V);
        Range(0x70, 16, "Jcc Jb", Op.Ib | E);
        Define(0x80, "GRP1 Eb,Ib", M | Op.Ib); Define(0x81, "GRP1 Ev,Iz", M | Op.Iz | V);
        Define(0x82, "GRP1 Eb,Ib", M | Op.Ib); Define(0x83, "GRP1 Ev,Ib", M | Op.Ib | V);
        Define(0x84, "TEST Eb,Gb", M); Define(0x85, "TEST Ev,Gv", M | V);
        Define(0x86, "XCHG Eb,Gb", M); Define(0x87, "XCHG Ev,Gv", M | V);
        Define(0x88, "MOV Eb,Gb", M); Define(0x89, "MOV Ev,Gv", M | V);
        Define(0x8A, "MOV Gb,Eb", M); Define(0x8B, "MOV Gv,Ev", M | V);
        Define(0x8C, "MOV Ev,Sw", M); Define(0x8D, "LEA Gv,M", M | V);
        Define(0x8E, "MOV Sw,Ew", M | E); Define(0x8F, "POP Ev", M | V);
        Define(0x90, "NOP", Op.None); Range(0x91, 7, "XCHG Zv,eAX", V);
        Define(0x98, "CBW/CWDE", V); Define(0x99, "CWD/CDQ", V);
        Define(0x9A, "CALL Ap", Op.Ap | E); Define(0x9B, "FWAIT", Op.None);
        Define(0x9C, "PUSHF", V); Define(0x9D, "POPF", V | E); Define(0x9E, "SAHF", Op.None); Define(0x9F, "LAHF", Op.None);
        Define(0xA0, "MOV AL,Ob", Op.Moffs); Define(0xA1, "MOV eAX,Ov", Op.Moffs | V);
        Define(0xA2, "MOV Ob,AL", Op.Moffs); Define(0xA3, "MOV Ov,eAX", Op.Moffs | V);
        Define(0xA4, "MOVSB", Op.None); Define(0xA5, "MOVS Zv", V); Define(0xA6, "CMPSB", Op.None); Define(0xA7, "CMPS Zv", V);
        Define(0xA8, "TEST AL,Ib", Op.Ib); Define(0xA9, "TEST eAX,Iz", Op.Iz | V);
        Define(0xAA, "STOSB", Op.None); Define(0xAB, "STOS Zv", V); Define(0xAC, "LODSB", Op.None); Define(0xAD, "LODS Zv", V);
        Define(0xAE, "SCASB", Op.None); Define(0xAF, "SCAS Zv", V);
        Range(0xB0, 8, "MOV Zb,Ib", Op.Ib); Range(0xB8, 8, "MOV Zv,Iv", Op.Iz | V);
        Define(0xC0, "GRP2 Eb,Ib", M | Op.Ib); Define(0xC1, "GRP2 Ev,Ib", M | Op.Ib | V);
        Define(0xC2, "RET Iw", Op.Iw | E); Define(0xC3, "RET", E);
        Define(0xC4, "LES Gv,Mp", M | V | E); Define(0xC5, "LDS Gv,Mp", M | V | E);
        Define(0xC6, "MOV Eb,Ib", M | Op.Ib); Define(0xC7, "MOV Ev,Iz", M | Op.Iz | V);
        Define(0xC8, "ENTER Iw,Ib", Op.Iw | Op.Ib); Define(0xC9, "LEAVE", V);
        Define(0xCA, "RETF Iw", Op.Iw | E); Define(0xCB, "RETF", E);
        Define(0xCC, "INT3", E); Define(0xCD, "INT Ib", Op.Ib | E); Define(0xCE, "INTO", E); Define(0xCF, "IRET", V | E);
        Define(0xD0, "GRP2 Eb,1", M); Define(0xD1, "GRP2 Ev,1", M | V); Define(0xD2, "GRP2 Eb,CL", M); Define(0xD3, "GRP2 Ev,CL", M | V);
        Define(0xD4, "AAM Ib", Op.Ib); Define(0xD5, "AAD Ib", Op.Ib); Define(0xD6, "SALC", Op.None); Define(0xD7, "XLAT", Op.None);
        Range(0xD8, 8, "x87 ESC", M);
        Define(0xE0, "LOOPNE Jb", Op.Ib | E); Define(0xE1, "LOOPE Jb", Op.Ib | E); Define(0xE2, "LOOP Jb", Op.Ib | E); Define(0xE3, "JCXZ Jb", Op.Ib | E);
        Define(0xE4, "IN AL,Ib", Op.Ib); Define(0xE5, "IN eAX,Ib", Op.Ib | V); Define(0xE6, "OUT Ib,AL", Op.Ib | E); Define(0xE7, "OUT Ib,eAX", Op.Ib | V | E);
        Define(0xE8, "CALL Jz", Op.Iz | E); Define(0xE9, "JMP Jz", Op.Iz | E); Define(0xEA, "JMP Ap", Op.Ap | E); Define(0xEB, "JMP Jb", Op.Ib | E);
        Define(0xEC, "IN AL,DX", Op.None); Define(0xED, "IN eAX,DX", V); Define(0xEE, "OUT DX,AL", E); Define(0xEF, "OUT DX,eAX", V | E);
        Define(0xF1, "INT1", E);
        Define(0xF4, "HLT", E); Define(0xF5, "CMC", Op.None);
        Define(0xF6, "GRP3 Eb", M | Op.TestImm); Define(0xF7, "GRP3 Ev", M | Op.TestImm | V);
        Define(0xF8, "CLC", Op.None); Define(0xF9, "STC", Op.None); Define(0xFA, "CLI", Op.None); Define(0xFB, "STI", E);
        Define(0xFC, "CLD", Op.None); Define(0xFD, "STD", Op.None);
        Define(0xFE, "GRP4 Eb", M); Define(0xFF, "GRP5 Ev", M | V | E);

        const int T = 0x100;
        Define(T + 0x00, "GRP6 Ew", M | E); Define(T + 0x01, "GRP7 Ms", M | E);
        Define(T + 0x02, "LAR Gv,Ew", M | V); Define(T + 0x03, "LSL Gv,Ew", M | V);
        Define(T + 0x06, "CLTS", E); Define(T + 0x08, "INVD", Op.None); Define(T + 0x09, "WBINVD", Op.None);
        Define(T + 0x0B, "UD2", E);
        Range(T + 0x18, 8, "NOP Ev", M);
        Define(T + 0x20, "MOV Rd,Cd", M); Define(T + 0x21, "MOV Rd,Dd", M);
        Define(T + 0x22, "MOV Cd,Rd", M | E); Define(T + 0x23, "MOV Dd,Rd", M);
        Define(T + 0x30, "WRMSR", E); Define(T + 0x31, "RDTSC", Op.None); Define(T + 0x32, "RDMSR", Op.None);
        Range(T + 0x40, 16, "CMOVcc Gv,Ev", M | V);
        Range(T + 0x80, 16, "Jcc Jz", Op.Iz | E);
        Range(T + 0x90, 16, "SETcc Eb", M);
        Define(T + 0xA0, "PUSH FS", Op.None); Define(T + 0xA1, "POP FS", E); Define(T + 0xA2, "CPUID", Op.None);
        Define(T + 0xA3, "BT Ev,Gv", M | V); Define(T + 0xA4, "SHLD Ev,Gv,Ib", M | Op.Ib | V); Define(T + 0xA5, "SHLD Ev,Gv,CL", M | V);
        Define(T + 0xA8, "PUSH GS", Op.None); Define(T + 0xA9, "POP GS", E);
        Define(T + 0xAB, "BTS Ev,Gv", M | V); Define(T + 0xAC, "SHRD Ev,Gv,Ib", M | Op.Ib | V); Define(T + 0xAD, "SHRD Ev,Gv,CL", M | V);
        Define(T + 0xAF, "IMUL Gv,Ev", M | V);
        Define(T + 0xB0, "CMPXCHG Eb,Gb", M); Define(T + 0xB1, "CMPXCHG Ev,Gv", M | V);
        Define(T + 0xB2, "LSS Gv,Mp", M | V | E); Define(T + 0xB3, "BTR Ev,Gv", M | V);
        Define(T + 0xB4, "LFS Gv,Mp", M | V | E); Define(T + 0xB5, "LGS Gv,Mp", M | V | E);
        Define(T + 0xB6, "MOVZX Gv,Eb", M | V); Define(T + 0xB7, "MOVZX Gv,Ew", M | V);
        Define(T + 0xBA, "GRP8 Ev,Ib", M | Op.Ib | V); Define(T + 0xBB, "BTC Ev,Gv", M | V);
        Define(T + 0xBC, "BSF Gv,Ev", M | V); Define(T + 0xBD, "BSR Gv,Ev", M | V);
        Define(T + 0xBE, "MOVSX Gv,Eb", M | V); Define(T + 0xBF, "MOVSX Gv,Ew", M | V);
        Define(T + 0xC0, "XADD Eb,Gb", M); Define(T + 0xC1, "XADD Ev,Gv", M | V);
        Define(T + 0xC7, "GRP9 Mq", M);
        Range(T + 0xC8, 8, "BSWAP Zd", Op.None);
    }
}
