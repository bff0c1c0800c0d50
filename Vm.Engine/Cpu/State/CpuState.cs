using System.Runtime.CompilerServices;

namespace Vm.Engine.Cpu.State;

[InlineArray(8)]
public struct Regs8
{
    private uint _e;
}

/// <summary>A segment register with its hidden descriptor cache.</summary>
public struct Segment
{
    public ushort Selector;
    public uint Base;
    public uint Limit;
    /// <summary>Descriptor access byte (type, S, DPL, P).</summary>
    public byte Access;
    /// <summary>D/B bit: 32-bit code segment or 32-bit stack.</summary>
    public bool Big;

    /// <summary>
    /// How data accesses through this register are limit-checked, decided whenever the descriptor
    /// cache changes (<see cref="Classify"/>) so that flat segments (the common case) cost one
    /// predictable branch: <see cref="Flat"/>, <see cref="ExpandUp"/>, <see cref="ExpandDown"/>,
    /// or <see cref="Unusable"/> (a null selector: every access faults).
    /// </summary>
    public byte Check;

    public const byte Flat = 0, ExpandUp = 1, ExpandDown = 2, Unusable = 3;

    public readonly int Dpl => (Access >> 5) & 3;

    /// <summary>Recomputes <see cref="Check"/> from the access byte and limit.</summary>
    public void Classify()
    {
        if (Access == 0) Check = Unusable;
        else if ((Access & 0x1C) == 0x14) Check = ExpandDown; // data segment (S=1, code=0) with E=1
        else Check = Limit == 0xFFFFFFFF ? Flat : ExpandUp;
    }
}

[InlineArray(6)]
public struct Segments6
{
    private Segment _s;
}

/// <summary>Register numbers as the instruction encoding uses them.</summary>
public static class Reg
{
    public const int Eax = 0, Ecx = 1, Edx = 2, Ebx = 3, Esp = 4, Ebp = 5, Esi = 6, Edi = 7;
    public const int Es = 0, Cs = 1, Ss = 2, Ds = 3, Fs = 4, Gs = 5;
}

/// <summary>EFLAGS bits.</summary>
public static class Fl
{
    public const uint CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200, DF = 0x400, OF = 0x800;
    public const uint IOPL = 0x3000, NT = 0x4000, RF = 0x10000, VM = 0x20000, AC = 0x40000, ID = 0x200000;
    public const uint Arith = CF | PF | AF | ZF | SF | OF;
}

/// <summary>
/// The architectural state of the guest CPU in one struct (registers, segments, control and
/// descriptor-table registers). Arithmetic flags may be held lazily by the CPU; Eflags here
/// holds the rest (and the arithmetic ones when the lazy state is empty).
/// </summary>
public struct CpuState
{
    public Regs8 R;
    public uint Eip;
    public uint Eflags;
    public Segments6 Seg;
    public uint Cr0, Cr2, Cr3, Cr4;
    public uint GdtBase, GdtLimit, IdtBase, IdtLimit;
    public Segment Ldtr, Tr;
    public int Cpl;
    public ulong TscOffset;
    public uint SysenterCs, SysenterEsp, SysenterEip;
}
