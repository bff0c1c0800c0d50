using Vm.Engine.Cpu.Decoding;

namespace Vm.Engine.Cpu;

// Dead flags: an ALU operation, shift or rotate whose flags the same block overwrites before
// anything reads them gets a twin handler that computes only the result (hash code is chains of
// ROR/XOR/ADD where only the last operation's flags could ever be read; a rotate's lazy flags
// cost seven stores when the operation before it was not a rotate). The flags are dead only if
// every instruction between the operation and the one that overwrites them, and that one too,
// can neither fault nor stop the block: a fault there would push the skipped flags into the
// exception frame, so only register-only forms qualify. Interrupts arrive between blocks, where
// the flags are exact. Block-only, like the fusions; Differential/DeadFlagsDifferentialTests runs
// such sequences against the host processor.
public sealed unsafe partial class X86Cpu
{
    private enum FlagUse { Other, Quiet, KeepsOthers, WritesAll }

    private bool[] _deadBuf = new bool[64];

    /// <summary>What a register-only instruction does to the arithmetic flags; Other for anything that may read them, fault or stop the block.</summary>
    private static FlagUse FlagUseOf(in Instr i)
    {
        if ((i.Pfx & ~Pfx.Mem) != 0) return FlagUse.Other;
        bool reg = i.ModRm >= 0xC0;
        switch (i.Op)
        {
            case 0x01 or 0x09 or 0x21 or 0x29 or 0x31 or 0x39 or 0x85
                or 0x03 or 0x0B or 0x23 or 0x2B or 0x33 or 0x3B when reg:
                return FlagUse.WritesAll;
            case 0x05 or 0x0D or 0x25 or 0x2D or 0x35 or 0x3D or 0xA9:
                return FlagUse.WritesAll;
            case 0x81 or 0x83 when reg && AluIndex(i.RegField) >= 0:
                return FlagUse.WritesAll;
            case 0xC1 when reg && (i.Imm & 31) != 0 && i.RegField is 0 or 1 or 4 or 5 or 6 or 7:
                return FlagUse.KeepsOthers; // a shift's AF, a rotate's SF/ZF/PF: treated as not all written
            case 0x89 or 0x8B when reg:
                return FlagUse.Quiet;
            case >= 0xB8 and <= 0xBF:
                return FlagUse.Quiet;
            case 0x8D when i.IsMem: // LEA computes an address and touches no memory
                return FlagUse.Quiet;
            case 0xF7 when reg && i.RegField == 2: // NOT
                return FlagUse.Quiet;
            case >= 0x1C8 and <= 0x1CF: // BSWAP
                return FlagUse.Quiet;
            default:
                return FlagUse.Other;
        }
    }

    /// <summary>For each of decoded[0, count): whether the flags it writes are overwritten later in the block before anything could see them.</summary>
    private bool[] DeadFlags(List<Instr> decoded, int count)
    {
        if (_deadBuf.Length < count) _deadBuf = new bool[Math.Max(count, 64)];
        bool[] dead = _deadBuf;
        // Scanning backwards: "overwritten" holds while every instruction since the last
        // flag-writing register ALU operation was quiet or only wrote flags itself.
        bool overwritten = false;
        for (int k = count - 1; k >= 0; k--)
        {
            FlagUse use = FlagUseOf(decoded[k]);
            dead[k] = overwritten && use is FlagUse.WritesAll or FlagUse.KeepsOthers;
            if (use == FlagUse.WritesAll) overwritten = true;
            else if (use == FlagUse.Other) overwritten = false;
        }
        return dead;
    }

    /// <summary>The handler that skips the flags, for the handlers that have one; the handler itself otherwise.</summary>
    private static nint WithoutFlags(nint fn) => NoFlagsTwins.TryGetValue(fn, out nint twin) ? twin : fn;

    private static readonly Dictionary<nint, nint> NoFlagsTwins = BuildNoFlagsTwins();

    private static Dictionary<nint, nint> BuildNoFlagsTwins()
    {
        var map = new Dictionary<nint, nint>();
        void Add(delegate*<X86Cpu, in Instr, void> with, delegate*<X86Cpu, in Instr, void> without) => map[(nint)with] = (nint)without;
        Alu<Add32, Add32NF>(); Alu<Or32, Or32NF>(); Alu<And32, And32NF>(); Alu<Sub32, Sub32NF>();
        Alu<Xor32, Xor32NF>(); Alu<Cmp32, Cmp32NF>(); Alu<Test32, Test32NF>();
        Shift<Rol32, Rol32NF>(); Shift<Ror32, Ror32NF>(); Shift<Shl32, Shl32NF>(); Shift<Shr32, Shr32NF>(); Shift<Sar32, Sar32NF>();
        AddAluChainTwins(map);
        AddCopyThenLoadAluTwins(map);
        return map;

        void Alu<T, TN>() where T : struct, IAlu32 where TN : struct, IAlu32
        {
            Add(&HAluRmReg<T>, &HAluRmReg<TN>);
            Add(&HAluRegRm<T>, &HAluRegRm<TN>);
            Add(&HAluRmImm<T>, &HAluRmImm<TN>);
            Add(&HAluEaxImm<T>, &HAluEaxImm<TN>);
            Add(&HCopyThenAlu<T>, &HCopyThenAlu<TN>);
            Add(&HLoadThenAlu<T, ABase>, &HLoadThenAlu<TN, ABase>);
            Add(&HLoadThenAlu<T, ABaseIndex>, &HLoadThenAlu<TN, ABaseIndex>);
            Add(&HLoadThenAluImm<T, ABase>, &HLoadThenAluImm<TN, ABase>);
            Add(&HLoadThenAluImm<T, ABaseIndex>, &HLoadThenAluImm<TN, ABaseIndex>);
        }

        void Shift<TS, TSN>() where TS : struct, IShift32 where TSN : struct, IShift32
        {
            Add(&HShiftImm<TS>, &HShiftImm<TSN>);
            Add(&HCopyThenShiftImm<TS>, &HCopyThenShiftImm<TSN>);
        }
    }

    // The operations without their flags.
    private struct Add32NF : IAlu32 { public static bool Writes => true; public static uint Do(X86Cpu c, uint a, uint b) => a + b; }
    private struct Or32NF : IAlu32 { public static bool Writes => true; public static uint Do(X86Cpu c, uint a, uint b) => a | b; }
    private struct And32NF : IAlu32 { public static bool Writes => true; public static uint Do(X86Cpu c, uint a, uint b) => a & b; }
    private struct Sub32NF : IAlu32 { public static bool Writes => true; public static uint Do(X86Cpu c, uint a, uint b) => a - b; }
    private struct Xor32NF : IAlu32 { public static bool Writes => true; public static uint Do(X86Cpu c, uint a, uint b) => a ^ b; }
    private struct Cmp32NF : IAlu32 { public static bool Writes => false; public static uint Do(X86Cpu c, uint a, uint b) => a; }
    private struct Test32NF : IAlu32 { public static bool Writes => false; public static uint Do(X86Cpu c, uint a, uint b) => a; }
    private struct Rol32NF : IShift32 { public static uint Do(X86Cpu c, uint a, int n) => (a << n) | (a >> (32 - n)); }
    private struct Ror32NF : IShift32 { public static uint Do(X86Cpu c, uint a, int n) => (a >> n) | (a << (32 - n)); }
    private struct Shl32NF : IShift32 { public static uint Do(X86Cpu c, uint a, int n) => a << n; }
    private struct Shr32NF : IShift32 { public static uint Do(X86Cpu c, uint a, int n) => a >> n; }
    private struct Sar32NF : IShift32 { public static uint Do(X86Cpu c, uint a, int n) => (uint)((int)a >> n); }
}
