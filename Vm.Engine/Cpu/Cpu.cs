using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;
using Vm.Engine.Devices;
using Vm.Engine.Memory;

namespace Vm.Engine.Cpu;

/// <summary>
/// The i686 CPU: state, memory access through a software TLB, lazy flags, exceptions and
/// interrupt delivery, and the interpreter loop over decoded blocks.
/// </summary>
public sealed unsafe partial class X86Cpu : IDisposable
{
    public CpuState S;
    private readonly PhysicalMemory _mem;
    private readonly byte* _ram;
    private readonly uint _ramSize;
    private readonly IoBus _io;
    public IInterruptController? Pic { get; set; }

    /// <summary>Instructions retired (approximately: counted per executed block).</summary>
    public ulong InstructionCount;
    public bool Halted;
    /// <summary>Set when the guest halts with interrupts off or triple-faults: the machine stops.</summary>
    public string? StopReason;

    // ---- software TLB ----
    // Four arrays of 2^20 entries (kernel read, kernel write, user read, user write), each the
    // physical page address when valid; low bits non-zero mean "take the slow path".
    private const uint TlbInvalid = 1, TlbSlow = 2;
    private readonly uint* _tlb;
    private readonly bool _ownsTlb = true;
    private uint* _tlbRead, _tlbWrite;
    private readonly int[] _tlbUsed = new int[65536];
    private int _tlbUsedCount;
    private bool _tlbOverflow;

    public X86Cpu(PhysicalMemory mem, IoBus io)
    {
        _mem = mem;
        _ram = mem.Ram;
        _ramSize = mem.Size;
        _io = io;
        _tlb = (uint*)NativeMemory.Alloc(4u << 20, sizeof(uint));
        new Span<uint>(_tlb, 4 << 20).Fill(TlbInvalid);
        mem.CodeWritten = OnCodeWritten;
        Reset();
    }

    public void Dispose()
    {
        if (_ownsTlb) NativeMemory.Free(_tlb);
    }

    public void Reset()
    {
        S = default;
        S.Eflags = 2;
        S.Cr0 = 0x60000010;
        for (int i = 0; i < 6; i++) { S.Seg[i].Limit = 0xFFFF; S.Seg[i].Access = 0x93; }
        S.Seg[Reg.Cs].Access = 0x9B;
        for (int i = 0; i < 6; i++) S.Seg[i].Classify();
        S.IdtLimit = 0x3FF;
        FpuInit();
        _lazyOp = LazyOp.None;
        SetCpl(0);
        FlushTlb();
    }

    /// <summary>
    /// After S was overwritten (a snapshot restore): S.Eflags holds all the flags, so the lazy
    /// flag state is cleared; the TLB, decoded blocks, block links and front caches are dropped.
    /// </summary>
    public void AfterStateRestore()
    {
        _lazyOp = LazyOp.None;
        SetCpl(S.Cpl);
        FlushTlb();
        FlushCodeCache();
        CheckIrq = true;
    }

    // =====================================================================================
    // Registers
    // =====================================================================================

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint GetReg(int r, int sz) => sz switch
    {
        2 => S.R[r],
        1 => S.R[r] & 0xFFFF,
        _ => r < 4 ? S.R[r] & 0xFF : (S.R[r - 4] >> 8) & 0xFF,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetReg(int r, int sz, uint v)
    {
        switch (sz)
        {
            case 2: S.R[r] = v; break;
            case 1: S.R[r] = (S.R[r] & 0xFFFF0000) | (v & 0xFFFF); break;
            default:
                if (r < 4) S.R[r] = (S.R[r] & 0xFFFFFF00) | (v & 0xFF);
                else S.R[r - 4] = (S.R[r - 4] & 0xFFFF00FF) | ((v & 0xFF) << 8);
                break;
        }
    }

    internal static readonly uint[] SizeMask = [0xFF, 0xFFFF, 0xFFFFFFFF];
    internal static readonly int[] SizeBits = [8, 16, 32];

    // =====================================================================================
    // Lazy arithmetic flags
    // =====================================================================================

    /// <summary>
    /// What the lazy flag state holds. Shift: SF/ZF/PF from the result, CF and OF given, AF 0.
    /// Rot (ROL/ROR): only CF and OF given; the other flags are those of the state saved in the
    /// _prev fields, merged when someone reads them (rotates come in runs in hash code, and
    /// their flags are rarely read).
    /// </summary>
    internal enum LazyOp : byte { None, Add, Sub, Logic, Inc, Dec, Shift, Rot }
    private LazyOp _lazyOp;
    private int _lazySz;
    private uint _lazyDst, _lazySrc, _lazyRes;
    private bool _lazyCf; // carry kept across INC/DEC, or set by a shift or rotate
    private bool _lazyOf; // overflow of a shift or rotate
    private LazyOp _prevOp;
    private int _prevSz;
    private uint _prevDst, _prevSrc, _prevRes;
    private bool _prevCf, _prevOf;

    private static readonly byte[] Parity = BuildParity();
    private static byte[] BuildParity()
    {
        var p = new byte[256];
        for (int i = 0; i < 256; i++) p[i] = (byte)((BitOperations.PopCount((uint)i) & 1) == 0 ? 1 : 0);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLazy(LazyOp op, int sz, uint dst, uint src, uint res)
    {
        _lazyOp = op; _lazySz = sz; _lazyDst = dst; _lazySrc = src; _lazyRes = res;
    }

    /// <summary>Flags of a shift with a non-zero count: SF/ZF/PF from the result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLazyShift(int sz, uint res, bool cf, bool of)
    {
        _lazyOp = LazyOp.Shift; _lazySz = sz; _lazyRes = res; _lazyCf = cf; _lazyOf = of;
    }

    /// <summary>Flags of a rotate with a non-zero count: CF and OF only, the rest kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void SetLazyRotate(bool cf, bool of)
    {
        LazyOp op = _lazyOp;
        if (op == LazyOp.None)
        {
            S.Eflags = (S.Eflags & ~(Fl.CF | Fl.OF)) | (cf ? Fl.CF : 0) | (of ? Fl.OF : 0);
            return;
        }
        if (op != LazyOp.Rot)
        {
            _prevOp = op; _prevSz = _lazySz; _prevDst = _lazyDst; _prevSrc = _lazySrc; _prevRes = _lazyRes;
            _prevCf = _lazyCf; _prevOf = _lazyOf;
            _lazyOp = LazyOp.Rot;
        }
        _lazyCf = cf; _lazyOf = of;
    }

    /// <summary>Turns a pending rotate into concrete flags (the saved state's, with the rotate's CF and OF).</summary>
    private void ResolveRotate()
    {
        S.Eflags = GetEflags();
        _lazyOp = LazyOp.None;
    }

    internal bool GetCF()
    {
        int sh = SizeBits[_lazySz] - 1;
        switch (_lazyOp)
        {
            case LazyOp.None: return (S.Eflags & Fl.CF) != 0;
            case LazyOp.Add: return ((((_lazyDst & _lazySrc) | ((_lazyDst | _lazySrc) & ~_lazyRes)) >> sh) & 1) != 0;
            case LazyOp.Sub: return ((((~_lazyDst & _lazySrc) | ((~_lazyDst | _lazySrc) & _lazyRes)) >> sh) & 1) != 0;
            case LazyOp.Logic: return false;
            default: return _lazyCf;
        }
    }

    internal bool GetOF()
    {
        int sh = SizeBits[_lazySz] - 1;
        switch (_lazyOp)
        {
            case LazyOp.None: return (S.Eflags & Fl.OF) != 0;
            case LazyOp.Add:
            case LazyOp.Inc: return ((((_lazyDst ^ _lazyRes) & (_lazySrc ^ _lazyRes)) >> sh) & 1) != 0;
            case LazyOp.Sub:
            case LazyOp.Dec: return ((((_lazyDst ^ _lazySrc) & (_lazyDst ^ _lazyRes)) >> sh) & 1) != 0;
            case LazyOp.Shift:
            case LazyOp.Rot: return _lazyOf;
            default: return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool GetZF()
    {
        if (_lazyOp == LazyOp.Rot) ResolveRotate();
        return _lazyOp == LazyOp.None ? (S.Eflags & Fl.ZF) != 0 : (_lazyRes & SizeMask[_lazySz]) == 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool GetSF()
    {
        if (_lazyOp == LazyOp.Rot) ResolveRotate();
        return _lazyOp == LazyOp.None ? (S.Eflags & Fl.SF) != 0 : ((_lazyRes >> (SizeBits[_lazySz] - 1)) & 1) != 0;
    }

    internal bool GetPF()
    {
        if (_lazyOp == LazyOp.Rot) ResolveRotate();
        return _lazyOp == LazyOp.None ? (S.Eflags & Fl.PF) != 0 : Parity[_lazyRes & 0xFF] != 0;
    }

    internal bool GetAF()
    {
        if (_lazyOp == LazyOp.Rot) ResolveRotate();
        return _lazyOp switch
        {
            LazyOp.None => (S.Eflags & Fl.AF) != 0,
            LazyOp.Logic or LazyOp.Shift => false,
            _ => ((_lazyDst ^ _lazySrc ^ _lazyRes) & 0x10) != 0,
        };
    }

    /// <summary>EFLAGS with the arithmetic flags materialized (one pass over the lazy state; changes nothing).</summary>
    public uint GetEflags()
    {
        LazyOp op = _lazyOp;
        if (op == LazyOp.None) return S.Eflags;
        if (op == LazyOp.Rot)
        {
            uint f = _prevOp == LazyOp.None ? S.Eflags : ComputeFlags(_prevOp, _prevSz, _prevDst, _prevSrc, _prevRes, _prevCf, _prevOf);
            return (f & ~(Fl.CF | Fl.OF)) | (_lazyCf ? Fl.CF : 0) | (_lazyOf ? Fl.OF : 0);
        }
        return ComputeFlags(op, _lazySz, _lazyDst, _lazySrc, _lazyRes, _lazyCf, _lazyOf);
    }

    private uint ComputeFlags(LazyOp op, int sz, uint d, uint src, uint res, bool lazyCf, bool lazyOf)
    {
        int sh = SizeBits[sz] - 1;
        uint r = res & SizeMask[sz];
        uint f = S.Eflags & ~Fl.Arith;
        if (r == 0) f |= Fl.ZF;
        f |= ((r >> sh) & 1) * Fl.SF;
        f |= (uint)Parity[r & 0xFF] * Fl.PF;
        switch (op)
        {
            case LazyOp.Add:
                f |= (((d & src) | ((d | src) & ~r)) >> sh) & 1;
                f |= ((((d ^ r) & (src ^ r)) >> sh) & 1) * Fl.OF;
                f |= (d ^ src ^ r) & Fl.AF;
                break;
            case LazyOp.Sub:
                f |= (((~d & src) | ((~d | src) & r)) >> sh) & 1;
                f |= ((((d ^ src) & (d ^ r)) >> sh) & 1) * Fl.OF;
                f |= (d ^ src ^ r) & Fl.AF;
                break;
            case LazyOp.Inc:
                f |= lazyCf ? Fl.CF : 0;
                f |= ((((d ^ r) & (src ^ r)) >> sh) & 1) * Fl.OF;
                f |= (d ^ src ^ r) & Fl.AF;
                break;
            case LazyOp.Dec:
                f |= lazyCf ? Fl.CF : 0;
                f |= ((((d ^ src) & (d ^ r)) >> sh) & 1) * Fl.OF;
                f |= (d ^ src ^ r) & Fl.AF;
                break;
            case LazyOp.Shift:
                f |= (lazyCf ? Fl.CF : 0) | (lazyOf ? Fl.OF : 0);
                break;
        }
        return f;
    }

    /// <summary>Makes the flags concrete in S.Eflags (before writing some of them directly).</summary>
    internal void MaterializeFlags()
    {
        if (_lazyOp != LazyOp.None)
        {
            S.Eflags = GetEflags();
            _lazyOp = LazyOp.None;
        }
    }

    /// <summary>Sets the arithmetic flags from a result (SF, ZF, PF) plus given CF/OF/AF.</summary>
    internal void SetFlagsResult(uint res, int sz, bool cf, bool of, bool af = false)
    {
        // Every arithmetic flag is rewritten, so the lazy state needs no materializing.
        _lazyOp = LazyOp.None;
        uint f = S.Eflags & ~Fl.Arith;
        res &= SizeMask[sz];
        if (cf) f |= Fl.CF;
        if (of) f |= Fl.OF;
        if (af) f |= Fl.AF;
        if (res == 0) f |= Fl.ZF;
        if ((res >> (SizeBits[sz] - 1)) != 0) f |= Fl.SF;
        if (Parity[res & 0xFF] != 0) f |= Fl.PF;
        S.Eflags = f;
    }

    internal void SetFlag(uint flag, bool on)
    {
        MaterializeFlags();
        if (on) S.Eflags |= flag; else S.Eflags &= ~flag;
    }

    internal bool Cond(int cc)
    {
        bool r;
        switch (cc >> 1)
        {
            case 0: r = GetOF(); break;
            case 1: r = GetCF(); break;
            case 2: r = GetZF(); break;
            case 3: r = GetCF() || GetZF(); break;
            case 4: r = GetSF(); break;
            case 5: r = GetPF(); break;
            case 6: r = GetSF() != GetOF(); break;
            default: r = GetZF() || GetSF() != GetOF(); break;
        }
        return (cc & 1) != 0 ? !r : r;
    }

    /// <summary>Writes EFLAGS as POPF/IRET do, honouring which bits the current privilege may change.</summary>
    internal void WriteEflags(uint v, uint changeMask)
    {
        CheckIrq = true;
        MaterializeFlags();
        const uint always = Fl.Arith | Fl.TF | Fl.DF | Fl.NT | Fl.AC | Fl.ID | Fl.RF;
        uint mask = changeMask & (always | Fl.IF | Fl.IOPL | Fl.VM);
        S.Eflags = (S.Eflags & ~mask) | (v & mask) | 2;
        S.Eflags &= ~(0x8u | 0x20u | 0x8000u);
    }

    internal uint PopfMask(bool o16)
    {
        uint m = Fl.Arith | Fl.TF | Fl.DF | Fl.NT | Fl.AC | Fl.ID;
        int iopl = (int)((S.Eflags >> 12) & 3);
        if (S.Cpl == 0) m |= Fl.IOPL | Fl.IF;
        else if (S.Cpl <= iopl) m |= Fl.IF;
        if (o16) m &= 0xFFFF;
        return m;
    }

    // =====================================================================================
    // Paging and the software TLB
    // =====================================================================================

    internal void SetCpl(int cpl)
    {
        S.Cpl = cpl;
        int off = cpl == 3 ? 2 << 20 : 0;
        _tlbRead = _tlb + off;
        _tlbWrite = _tlb + off + (1 << 20);
    }

    public void FlushTlb()
    {
        TlbGeneration++;
        if (_tlbOverflow)
        {
            new Span<uint>(_tlb, 4 << 20).Fill(TlbInvalid);
            _tlbOverflow = false;
        }
        else
        {
            for (int i = 0; i < _tlbUsedCount; i++)
            {
                int v = _tlbUsed[i];
                _tlb[v] = TlbInvalid; _tlb[v + (1 << 20)] = TlbInvalid;
                _tlb[v + (2 << 20)] = TlbInvalid; _tlb[v + (3 << 20)] = TlbInvalid;
            }
        }
        _tlbUsedCount = 0;
    }

    internal void InvalidatePage(uint lin)
    {
        TlbGeneration++;
        uint v = lin >> 12;
        _tlb[v] = TlbInvalid; _tlb[v + (1 << 20)] = TlbInvalid;
        _tlb[v + (2 << 20)] = TlbInvalid; _tlb[v + (3 << 20)] = TlbInvalid;
    }

    /// <summary>A physical page now holds decoded code: drop the write entries that map it.</summary>
    private void DropWriteEntries(uint page)
    {
        if (_tlbOverflow)
        {
            FlushTlb();
            return;
        }
        for (int i = 0; i < _tlbUsedCount; i++)
        {
            int v = _tlbUsed[i];
            if (_tlb[v + (1 << 20)] >> 12 == page) _tlb[v + (1 << 20)] = TlbInvalid;
            if (_tlb[v + (3 << 20)] >> 12 == page) _tlb[v + (3 << 20)] = TlbInvalid;
        }
    }

    private void NoteTlbUse(uint vpn)
    {
        if (_tlbUsedCount < _tlbUsed.Length) _tlbUsed[_tlbUsedCount++] = (int)vpn;
        else _tlbOverflow = true;
    }

    private bool PagingOn => (S.Cr0 & 0x80000000) != 0;

    /// <summary>Translates a linear address, filling the TLB; raises #PF. user = access checked as CPL 3.</summary>
    internal uint Translate(uint lin, bool write, bool user)
    {
        uint vpn = lin >> 12;
        uint phys;
        bool rawW, userOk, dirty;
        if (!PagingOn)
        {
            phys = lin & 0xFFFFF000;
            rawW = true; userOk = true; dirty = true;
        }
        else
        {
            uint pdeAddr = (S.Cr3 & 0xFFFFF000) + ((lin >> 22) << 2);
            uint pde = _mem.Read32(pdeAddr);
            if ((pde & 1) == 0) PageFault(lin, false, write, user);
            if ((pde & 0x80) != 0 && (S.Cr4 & 0x10) != 0)
            {
                rawW = (pde & 2) != 0;
                userOk = (pde & 4) != 0;
                CheckAccess(lin, write, user, rawW, userOk);
                uint npde = pde | 0x20 | (write ? 0x40u : 0);
                if (npde != pde) _mem.Write32(pdeAddr, npde);
                dirty = (npde & 0x40) != 0;
                phys = (pde & 0xFFC00000) | (lin & 0x3FF000);
            }
            else
            {
                uint pteAddr = (pde & 0xFFFFF000) + (((lin >> 12) & 0x3FF) << 2);
                uint pte = _mem.Read32(pteAddr);
                if ((pte & 1) == 0) PageFault(lin, false, write, user);
                rawW = (pde & pte & 2) != 0;
                userOk = (pde & pte & 4) != 0;
                CheckAccess(lin, write, user, rawW, userOk);
                if ((pde & 0x20) == 0) _mem.Write32(pdeAddr, pde | 0x20);
                uint npte = pte | 0x20 | (write ? 0x40u : 0);
                if (npte != pte) _mem.Write32(pteAddr, npte);
                dirty = (npte & 0x40) != 0;
                phys = pte & 0xFFFFF000;
            }
        }
        uint entry = phys < _ramSize ? phys : phys | TlbSlow;
        NoteTlbUse(vpn);
        bool supW = rawW || (S.Cr0 & 0x10000) == 0;
        // Pages holding decoded code get no write entries: their stores take the slow path,
        // which invalidates the blocks, so the fast path needs no code-page check.
        bool code = phys < _ramSize && _mem.CodePages[phys >> 12] != 0;
        _tlb[vpn] = entry;
        if (dirty && supW && !code) _tlb[vpn + (1 << 20)] = entry;
        if (userOk)
        {
            _tlb[vpn + (2 << 20)] = entry;
            if (dirty && rawW && !code) _tlb[vpn + (3 << 20)] = entry;
        }
        return phys | (lin & 0xFFF);
    }

    private void CheckAccess(uint lin, bool write, bool user, bool rawW, bool userOk)
    {
        if (user && !userOk) PageFault(lin, true, write, user);
        if (write && !rawW && (user || (S.Cr0 & 0x10000) != 0)) PageFault(lin, true, write, user);
    }

    [DoesNotReturn]
    private void PageFault(uint lin, bool present, bool write, bool user)
    {
        S.Cr2 = lin;
        throw new CpuFault(Vec.PF, (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0));
    }

    // =====================================================================================
    // Linear memory access (fast path through the TLB)
    // =====================================================================================

    private bool UserAccess => S.Cpl == 3;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte Read8(uint lin)
    {
        uint e = _tlbRead[lin >> 12];
        if ((e & 0xFFF) == 0) return _ram[e | (lin & 0xFFF)];
        return ReadSlow8(lin);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ushort Read16(uint lin)
    {
        uint e = _tlbRead[lin >> 12];
        if ((e & 0xFFF) == 0 && (lin & 0xFFF) != 0xFFF) return *(ushort*)(_ram + (e | (lin & 0xFFF)));
        return (ushort)(ReadSlow8(lin) | (ReadSlow8(lin + 1) << 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint Read32(uint lin)
    {
        uint e = _tlbRead[lin >> 12];
        if ((e & 0xFFF) == 0 && (lin & 0xFFF) <= 0xFFC) return *(uint*)(_ram + (e | (lin & 0xFFF)));
        return Read32Slow(lin);
    }

    private uint Read32Slow(uint lin)
    {
        if ((lin & 0xFFF) <= 0xFFC)
        {
            uint p = Translate(lin, false, UserAccess);
            return _mem.Read32(p);
        }
        return ReadSlow8(lin) | ((uint)ReadSlow8(lin + 1) << 8) | ((uint)ReadSlow8(lin + 2) << 16) | ((uint)ReadSlow8(lin + 3) << 24);
    }

    private byte ReadSlow8(uint lin)
    {
        uint e = _tlbRead[lin >> 12];
        uint p = (e & 0xFFF) == 0 ? e | (lin & 0xFFF) : Translate(lin, false, UserAccess);
        return _mem.Read8(p);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Write8(uint lin, byte v)
    {
        uint e = _tlbWrite[lin >> 12];
        if ((e & 0xFFF) == 0)
        {
            uint p = e | (lin & 0xFFF);
            _ram[p] = v;
            return;
        }
        WriteSlow8(lin, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Write16(uint lin, ushort v)
    {
        uint e = _tlbWrite[lin >> 12];
        if ((e & 0xFFF) == 0 && (lin & 0xFFF) != 0xFFF)
        {
            uint p = e | (lin & 0xFFF);
            *(ushort*)(_ram + p) = v;
            return;
        }
        WriteSplit(lin, v, 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Write32(uint lin, uint v)
    {
        uint e = _tlbWrite[lin >> 12];
        if ((e & 0xFFF) == 0 && (lin & 0xFFF) <= 0xFFC)
        {
            uint p = e | (lin & 0xFFF);
            *(uint*)(_ram + p) = v;
            return;
        }
        WriteSplit(lin, v, 4);
    }

    private void WriteSplit(uint lin, uint v, int n)
    {
        // Translate every page touched before writing anything, so a fault leaves memory unchanged.
        uint p0 = TranslateWrite(lin);
        uint last = lin + (uint)n - 1;
        uint p1 = (last >> 12) != (lin >> 12) ? TranslateWrite(last) : 0;
        for (int i = 0; i < n; i++)
        {
            uint a = lin + (uint)i;
            uint p = (a >> 12) == (lin >> 12) ? p0 + (uint)i : (p1 & 0xFFFFF000) | (a & 0xFFF);
            _mem.Write8(p, (byte)(v >> (8 * i)));
        }
    }

    private uint TranslateWrite(uint lin)
    {
        uint e = _tlbWrite[lin >> 12];
        return (e & 0xFFF) == 0 ? e | (lin & 0xFFF) : Translate(lin, true, UserAccess);
    }

    private void WriteSlow8(uint lin, byte v) => _mem.Write8(TranslateWrite(lin), v);

    internal uint ReadSz(uint lin, int sz) => sz switch { 0 => Read8(lin), 1 => Read16(lin), _ => Read32(lin) };

    internal void WriteSz(uint lin, int sz, uint v)
    {
        switch (sz)
        {
            case 0: Write8(lin, (byte)v); break;
            case 1: Write16(lin, (ushort)v); break;
            default: Write32(lin, v); break;
        }
    }

    /// <summary>Supervisor-privilege access for descriptor tables and the TSS (ignores CPL).</summary>
    internal uint ReadSys32(uint lin)
    {
        int cpl = S.Cpl;
        if (cpl == 0) return Read32(lin);
        SetCpl(0);
        try { return Read32(lin); } finally { SetCpl(cpl); }
    }

    internal void WriteSys32(uint lin, uint v)
    {
        int cpl = S.Cpl;
        if (cpl == 0) { Write32(lin, v); return; }
        SetCpl(0);
        try { Write32(lin, v); } finally { SetCpl(cpl); }
    }

    // =====================================================================================
    // Port I/O
    // =====================================================================================

    internal bool StopBlock;

    internal uint PortIn(ushort port, int sz)
    {
        CheckIrq = true;
        CheckIoPrivilege();
        return _io.In(port, 1 << sz);
    }

    internal void PortOut(ushort port, int sz, uint v)
    {
        CheckIrq = true;
        CheckIoPrivilege();
        _io.Out(port, v, 1 << sz);
        StopBlock = true;
    }

    private void CheckIoPrivilege()
    {
        // No I/O permission bitmap: with CPL > IOPL every port access faults (Linux's default).
        if ((S.Cr0 & 1) != 0 && S.Cpl > (int)((S.Eflags >> 12) & 3)) throw new CpuFault(Vec.GP, 0);
    }
}
