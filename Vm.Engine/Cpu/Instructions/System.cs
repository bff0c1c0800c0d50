using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

/// <summary>System instructions: descriptor tables, control registers, MSRs, CPUID, TSC.</summary>
public sealed unsafe partial class X86Cpu
{
    private readonly uint[] _dr = new uint[8];
    private readonly Dictionary<uint, ulong> _msrs = new();

    /// <summary>
    /// CPUID leaf 1 EDX: exactly what is implemented — FPU, PSE, TSC, MSR, CX8, CMOV.
    /// No SEP (no SYSENTER), no APIC, no PAE, no PGE, no MMX/SSE.
    /// </summary>
    public const uint FeatureEdx = (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | (1u << 15);

    private void Cpuid()
    {
        uint leaf = S.R[0];
        uint a = 0, b = 0, c = 0, d = 0;
        switch (leaf)
        {
            case 0:
                a = 1;
                b = 0x756E6547; d = 0x49656E69; c = 0x6C65746E; // "GenuineIntel"
                break;
            case 1:
                a = 0x00000683; // family 6, model 8, stepping 3 (Pentium III class)
                d = FeatureEdx;
                break;
            case 0x80000000:
                a = 0x80000000;
                break;
        }
        S.R[0] = a; S.R[Reg.Ebx] = b; S.R[Reg.Ecx] = c; S.R[Reg.Edx] = d;
    }

    internal ulong Tsc() => (TscSource?.Invoke() ?? InstructionCount) + S.TscOffset;

    /// <summary>
    /// MSRs that exist on this CPU: the TSC, the platform id and microcode revision (Linux reads
    /// both without a fault handler on family 6), and the SYSENTER registers. Everything else
    /// raises #GP, so the kernel's probes (rdmsr_safe) see that e.g. no PMU counters exist.
    /// </summary>
    private static bool MsrExists(uint msr) => msr is 0x10 or 0x17 or 0x8B or 0x174 or 0x175 or 0x176;

    private ulong ReadMsr(uint msr) => msr switch
    {
        0x10 => Tsc(),
        0x174 => S.SysenterCs,
        0x175 => S.SysenterEsp,
        0x176 => S.SysenterEip,
        _ when MsrExists(msr) => _msrs.TryGetValue(msr, out var v) ? v : 0,
        _ => throw new CpuFault(Vec.GP, 0),
    };

    private void WriteMsr(uint msr, ulong v)
    {
        switch (msr)
        {
            case 0x10: S.TscOffset = v - (TscSource?.Invoke() ?? InstructionCount); break;
            case 0x174: S.SysenterCs = (uint)v; break;
            case 0x175: S.SysenterEsp = (uint)v; break;
            case 0x176: S.SysenterEip = (uint)v; break;
            case 0x8B: break; // writing 0 before CPUID is how the microcode revision is read
            default:
                if (!MsrExists(msr)) throw new CpuFault(Vec.GP, 0);
                _msrs[msr] = v;
                break;
        }
    }

    private void WriteCr(int cr, uint v)
    {
        switch (cr)
        {
            case 0:
                if ((v & 0x80000001) == 0x80000000) throw new CpuFault(Vec.GP, 0);
                S.Cr0 = v | 0x10;
                FlushTlb();
                break;
            case 2: S.Cr2 = v; break;
            case 3: S.Cr3 = v; FlushTlb(); break;
            case 4:
                // Only PSE (bit 4), TSD (bit 2) and PGE (bit 7, accepted; global pages are flushed like others).
                if ((v & ~0x94u) != 0) throw new CpuFault(Vec.GP, 0);
                S.Cr4 = v; FlushTlb();
                break;
            default: throw new CpuFault(Vec.UD);
        }
        StopBlock = true;
    }

    private void Group6(in Instr i)
    {
        if ((S.Cr0 & 1) == 0 || (S.Eflags & Fl.VM) != 0) throw new CpuFault(Vec.UD);
        switch (i.RegField)
        {
            case 0: WriteE(i, i.IsMem ? 1 : Vsz(i), S.Ldtr.Selector); break;
            case 1: WriteE(i, i.IsMem ? 1 : Vsz(i), S.Tr.Selector); break;
            case 2:
            {
                Privileged();
                ushort sel = (ushort)ReadE(i, 1);
                if ((sel & 0xFFFC) == 0) { S.Ldtr = default; break; }
                if ((sel & 4) != 0) throw new CpuFault(Vec.GP, sel & 0xFFFC);
                ReadDescriptor(sel, out uint lo, out uint hi);
                if ((hi & 0x1F00) != 0x0200) throw new CpuFault(Vec.GP, sel & 0xFFFC);
                if ((hi & 0x8000) == 0) throw new CpuFault(Vec.NP, sel & 0xFFFC);
                S.Ldtr = new Segment { Selector = sel, Base = DescBase(lo, hi), Limit = DescLimit(lo, hi), Access = (byte)(hi >> 8) };
                break;
            }
            case 3:
            {
                Privileged();
                ushort sel = (ushort)ReadE(i, 1);
                if ((sel & 0xFFFC) == 0 || (sel & 4) != 0) throw new CpuFault(Vec.GP, sel & 0xFFFC);
                ReadDescriptor(sel, out uint lo, out uint hi);
                int type = (int)(hi >> 8) & 0x1F;
                if (type != 0x09 && type != 0x01) throw new CpuFault(Vec.GP, sel & 0xFFFC);
                if ((hi & 0x8000) == 0) throw new CpuFault(Vec.NP, sel & 0xFFFC);
                S.Tr = new Segment { Selector = sel, Base = DescBase(lo, hi), Limit = DescLimit(lo, hi), Access = (byte)((hi >> 8) | 2) };
                WriteSys32(S.GdtBase + (uint)(sel & 0xFFF8) + 4, hi | 0x200); // mark busy
                break;
            }
            case 4: case 5:
            {
                ushort sel = (ushort)ReadE(i, 1);
                bool ok = false;
                try
                {
                    if ((sel & 0xFFFC) != 0)
                    {
                        ReadDescriptor(sel, out _, out uint hi);
                        int dpl = (int)(hi >> 13) & 3;
                        bool code = (hi & 0x1800) == 0x1800, data = (hi & 0x1800) == 0x1000;
                        bool conforming = code && (hi & 0x400) != 0;
                        bool privOk = conforming || (dpl >= S.Cpl && dpl >= (sel & 3));
                        ok = privOk && (i.RegField == 4 ? (data || (code && (hi & 0x200) != 0)) : (data && (hi & 0x200) != 0));
                    }
                }
                catch (CpuFault f) when (f.Vector == Vec.GP) { ok = false; }
                SetFlag(Fl.ZF, ok);
                break;
            }
            default: throw new CpuFault(Vec.UD);
        }
    }

    private void Group7(in Instr i)
    {
        switch (i.RegField)
        {
            case 0: case 1:
            {
                if (!i.IsMem) throw new CpuFault(Vec.UD);
                uint lin = Lin(i);
                bool g = i.RegField == 0;
                Write16(lin, (ushort)(g ? S.GdtLimit : S.IdtLimit));
                Write32(lin + 2, g ? S.GdtBase : S.IdtBase);
                break;
            }
            case 2: case 3:
            {
                if (!i.IsMem) throw new CpuFault(Vec.UD);
                Privileged();
                uint lin = Lin(i);
                uint limit = Read16(lin);
                uint @base = Read32(lin + 2);
                if (i.O16) @base &= 0xFFFFFF;
                if (i.RegField == 2) { S.GdtLimit = limit; S.GdtBase = @base; }
                else { S.IdtLimit = limit; S.IdtBase = @base; }
                break;
            }
            case 4: WriteE(i, i.IsMem ? 1 : Vsz(i), S.Cr0 & (i.IsMem ? 0xFFFFu : 0xFFFFFFFFu)); break;
            case 6:
            {
                Privileged();
                uint v = ReadE(i, 1) & 0xF;
                // LMSW cannot clear PE.
                WriteCr(0, (S.Cr0 & ~0xFu) | v | (S.Cr0 & 1));
                break;
            }
            case 7:
                if (!i.IsMem) throw new CpuFault(Vec.UD);
                Privileged();
                InvalidatePage(Lin(i));
                break;
            default: throw new CpuFault(Vec.UD);
        }
    }

    private void LarLsl(in Instr i, bool lar)
    {
        if ((S.Cr0 & 1) == 0 || (S.Eflags & Fl.VM) != 0) throw new CpuFault(Vec.UD);
        ushort sel = (ushort)ReadE(i, 1);
        bool ok = false;
        uint lo = 0, hi = 0;
        if ((sel & 0xFFFC) != 0)
        {
            try
            {
                ReadDescriptor(sel, out lo, out hi);
                int type = (int)(hi >> 8) & 0x1F;
                int dpl = (int)(hi >> 13) & 3;
                bool conforming = (type & 0x1C) == 0x1C;
                bool sysOk = (type & 0x10) != 0 || type is 1 or 2 or 3 or 9 or 11 || (lar && type is 4 or 5 or 12);
                ok = sysOk && (conforming || (dpl >= S.Cpl && dpl >= (sel & 3)));
            }
            catch (CpuFault f) when (f.Vector == Vec.GP) { ok = false; }
        }
        if (ok)
        {
            int sz = Vsz(i);
            SetReg(i.RegField, sz, lar ? hi & 0x00F0FF00 : DescLimit(lo, hi));
        }
        SetFlag(Fl.ZF, ok);
    }
}
