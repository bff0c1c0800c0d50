using System.Runtime.CompilerServices;

namespace Vm.Engine.Cpu.Decoding;

/// <summary>Prefix and operand facts found while decoding.</summary>
[Flags]
public enum Pfx : byte
{
    None = 0,
    O16 = 1,
    A16 = 2,
    Rep = 4,
    Repne = 8,
    Lock = 16,
    Mem = 32,
    SegOverride = 64,
}

/// <summary>
/// One decoded instruction: what the interpreter (and later the JIT) needs, decoded once.
/// Op is the opcode map index: 0x000-0x0FF one-byte map, 0x100-0x1FF the 0F map.
/// Memory operands are kept as base/index/scale/displacement and a resolved segment.
/// </summary>
public readonly struct Instr
{
    public const byte NoReg = 8;

    public readonly ushort Op;
    public readonly byte Len;
    public readonly Pfx Pfx;
    public readonly byte ModRm;
    public readonly byte Seg;
    public readonly byte Base;
    public readonly byte Index;
    public readonly byte Scale;
    public readonly int Disp;
    public readonly int Imm;
    public readonly int Imm2;

    public Instr(ushort op, byte len, Pfx pfx, byte modRm, byte seg, byte @base, byte index, byte scale, int disp, int imm, int imm2)
    {
        Op = op; Len = len; Pfx = pfx; ModRm = modRm; Seg = seg; Base = @base; Index = index; Scale = scale; Disp = disp; Imm = imm; Imm2 = imm2;
    }

    public int RegField { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => (ModRm >> 3) & 7; }
    public int Rm { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => ModRm & 7; }
    public bool IsMem { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => (Pfx & Pfx.Mem) != 0; }
    public bool O16 { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => (Pfx & Pfx.O16) != 0; }
    public bool A16 { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => (Pfx & Pfx.A16) != 0; }
    public bool HasRep { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => (Pfx & (Pfx.Rep | Pfx.Repne)) != 0; }
}
