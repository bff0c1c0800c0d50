using Vm.Engine.Cpu.Decoding;
using Vm.Engine.Cpu.State;

namespace Vm.Engine.Cpu;

/// <summary>
/// x87 FPU. Registers hold C# doubles (53-bit significand), a documented first step: loads and
/// stores of the 80-bit format convert, so FSAVE/FRSTOR round-trip doubles exactly; programs that
/// depend on 64-bit significands can tell the difference.
/// </summary>
public sealed unsafe partial class X86Cpu
{
    private readonly double[] _st = new double[8];
    private int _top;
    private ushort _fcw, _fsw;
    private byte _fempty; // bit set = physical register empty
    private uint _fip, _fdp;
    private ushort _fcs, _fds, _fop;

    private const ushort C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;

    private void FpuInit()
    {
        _fcw = 0x037F; _fsw = 0; _top = 0; _fempty = 0xFF;
        _fip = _fdp = 0; _fcs = _fds = _fop = 0;
    }

    private ref double ST(int i) => ref _st[(_top + i) & 7];

    private void FPush(double v)
    {
        _top = (_top - 1) & 7;
        if ((_fempty & (1 << _top)) == 0) _fsw |= 0x41 | C1; // stack overflow (masked: stored anyway)
        _st[_top] = v;
        _fempty &= (byte)~(1 << _top);
    }

    private void FPop()
    {
        _fempty |= (byte)(1 << _top);
        _top = (_top + 1) & 7;
    }

    private ushort Fsw => (ushort)((_fsw & ~0x3800) | (_top << 11));

    private ushort TagWord()
    {
        int tw = 0;
        for (int r = 0; r < 8; r++)
        {
            int t;
            if ((_fempty & (1 << r)) != 0) t = 3;
            else if (_st[r] == 0) t = 1;
            else if (double.IsNaN(_st[r]) || double.IsInfinity(_st[r]) || double.IsSubnormal(_st[r])) t = 2;
            else t = 0;
            tw |= t << (2 * r);
        }
        return (ushort)tw;
    }

    private void SetTagWord(ushort tw)
    {
        _fempty = 0;
        for (int r = 0; r < 8; r++) if (((tw >> (2 * r)) & 3) == 3) _fempty |= (byte)(1 << r);
    }

    // ---- 80-bit extended conversions ----

    internal static void ToExtended(double d, out ulong mant, out ushort sexp)
    {
        ulong bits = (ulong)BitConverter.DoubleToInt64Bits(d);
        ushort sign = (ushort)((bits >> 63) << 15);
        int exp = (int)((bits >> 52) & 0x7FF);
        ulong frac = bits & 0xFFFFFFFFFFFFFUL;
        if (exp == 0)
        {
            if (frac == 0) { mant = 0; sexp = sign; return; }
            // Subnormal double: normalize (representable as a normal extended).
            int shift = System.Numerics.BitOperations.LeadingZeroCount(frac) - 11;
            frac <<= shift;
            mant = frac << 11;
            sexp = (ushort)(sign | (ushort)(1 - shift - 1023 + 16383));
            return;
        }
        if (exp == 0x7FF)
        {
            mant = 0x8000000000000000UL | (frac << 11);
            if (frac != 0) mant |= 0x4000000000000000UL;
            sexp = (ushort)(sign | 0x7FFF);
            return;
        }
        mant = 0x8000000000000000UL | (frac << 11);
        sexp = (ushort)(sign | (exp - 1023 + 16383));
    }

    internal static double FromExtended(ulong mant, ushort sexp)
    {
        bool neg = (sexp & 0x8000) != 0;
        int exp = sexp & 0x7FFF;
        double r;
        if (exp == 0x7FFF)
        {
            r = (mant << 1) == 0 ? double.PositiveInfinity : double.NaN;
        }
        else if (mant == 0)
        {
            r = 0;
        }
        else
        {
            // value = mant * 2^(exp - 16383 - 63)
            r = Math.ScaleB((double)mant, (exp == 0 ? 1 : exp) - 16383 - 63);
            // (double)mant rounds to nearest; adequate for a double-based FPU.
        }
        return neg ? -r : r;
    }

    private double ReadExt(uint lin)
    {
        ulong m = Read32(lin) | ((ulong)Read32(lin + 4) << 32);
        return FromExtended(m, Read16(lin + 8));
    }

    private void WriteExt(uint lin, double v)
    {
        ToExtended(v, out ulong m, out ushort se);
        Write32(lin, (uint)m); Write32(lin + 4, (uint)(m >> 32)); Write16(lin + 8, se);
    }

    private double RoundFpu(double v) => ((_fcw >> 10) & 3) switch
    {
        0 => Math.Round(v, MidpointRounding.ToEven),
        1 => Math.Floor(v),
        2 => Math.Ceiling(v),
        _ => Math.Truncate(v),
    };

    private long ToInt(double v, int bits, out bool invalid)
    {
        double r = RoundFpu(v);
        double lim = Math.ScaleB(1.0, bits - 1);
        if (double.IsNaN(r) || r >= lim || r < -lim)
        {
            invalid = true;
            _fsw |= 1;
            return bits == 64 ? long.MinValue : -(1L << (bits - 1));
        }
        invalid = false;
        if (r != v) _fsw |= 0x20;
        return (long)r;
    }

    private void SetCompare(double a, double b, bool unordered)
    {
        _fsw &= unchecked((ushort)~(C0 | C2 | C3));
        if (double.IsNaN(a) || double.IsNaN(b)) { _fsw |= C0 | C2 | C3; if (!unordered) _fsw |= 1; }
        else if (a < b) _fsw |= C0;
        else if (a == b) _fsw |= C3;
    }

    private void SetCompareEflags(double a, double b)
    {
        MaterializeFlags();
        S.Eflags &= ~(Fl.ZF | Fl.PF | Fl.CF | Fl.OF | Fl.SF | Fl.AF);
        if (double.IsNaN(a) || double.IsNaN(b)) S.Eflags |= Fl.ZF | Fl.PF | Fl.CF;
        else if (a < b) S.Eflags |= Fl.CF;
        else if (a == b) S.Eflags |= Fl.ZF;
    }

    private static double Arith(int op, double a, double b) => op switch
    {
        0 => a + b,
        1 => a * b,
        4 => a - b,
        5 => b - a,
        6 => a / b,
        7 => b / a,
        _ => a,
    };

    private void FpuMemOperandPointer(in Instr i, uint lin)
    {
        _fdp = lin - S.Seg[i.Seg].Base;
        _fds = S.Seg[i.Seg].Selector;
    }

    private void Fpu(in Instr i)
    {
        if ((S.Cr0 & 0xC) != 0) throw new CpuFault(Vec.NM);
        int esc = i.Op - 0xD8;
        int reg = i.RegField;
        bool isControl = (esc == 1 && reg >= 4 && i.IsMem) || (esc == 3 && !i.IsMem && i.ModRm is 0xE2 or 0xE3) ||
                         (esc == 5 && i.IsMem && reg >= 6) || (esc == 7 && !i.IsMem && i.ModRm == 0xE0);
        if (!isControl)
        {
            _fip = _instrStart; _fcs = S.Seg[Reg.Cs].Selector;
            _fop = (ushort)(((esc & 7) << 8) | i.ModRm);
        }
        if (i.IsMem) FpuMem(i, esc, reg);
        else FpuReg(i, esc, reg, i.Rm);
    }

    private void FpuMem(in Instr i, int esc, int reg)
    {
        uint lin = Lin(i);
        switch (esc)
        {
            case 0: case 2: case 4: case 6:
            {
                double v = esc switch
                {
                    0 => BitConverter.Int32BitsToSingle((int)Read32(lin)),
                    2 => (int)Read32(lin),
                    4 => BitConverter.Int64BitsToDouble((long)(Read32(lin) | ((ulong)Read32(lin + 4) << 32))),
                    _ => (short)Read16(lin),
                };
                FpuMemOperandPointer(i, lin);
                if (reg == 2 || reg == 3)
                {
                    SetCompare(ST(0), v, false);
                    if (reg == 3) FPop();
                }
                else
                {
                    ST(0) = Arith(reg, ST(0), v);
                }
                break;
            }
            case 1:
                switch (reg)
                {
                    case 0: FpuMemOperandPointer(i, lin); FPush(BitConverter.Int32BitsToSingle((int)Read32(lin))); break;
                    case 2: Write32(lin, (uint)BitConverter.SingleToInt32Bits((float)ST(0))); break;
                    case 3: Write32(lin, (uint)BitConverter.SingleToInt32Bits((float)ST(0))); FPop(); break;
                    case 4: Fldenv(lin); break;
                    case 5: _fcw = (ushort)(Read16(lin) | 0x40); break;
                    case 6: Fstenv(lin); break;
                    case 7: Write16(lin, _fcw); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 3:
                switch (reg)
                {
                    case 0: FPush((int)Read32(lin)); break;
                    case 2: case 3:
                    {
                        long v = ToInt(ST(0), 32, out _);
                        Write32(lin, (uint)v);
                        if (reg == 3) FPop();
                        break;
                    }
                    case 5: FPush(ReadExt(lin)); break;
                    case 7: WriteExt(lin, ST(0)); FPop(); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 5:
                switch (reg)
                {
                    case 0: FPush(BitConverter.Int64BitsToDouble((long)(Read32(lin) | ((ulong)Read32(lin + 4) << 32)))); break;
                    case 2: case 3:
                    {
                        ulong b = (ulong)BitConverter.DoubleToInt64Bits(ST(0));
                        Write32(lin, (uint)b); Write32(lin + 4, (uint)(b >> 32));
                        if (reg == 3) FPop();
                        break;
                    }
                    case 4: Frstor(lin); break;
                    case 6: Fsave(lin); break;
                    case 7: Write16(lin, Fsw); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            default: // 7
                switch (reg)
                {
                    case 0: FPush((short)Read16(lin)); break;
                    case 2: case 3:
                    {
                        long v = ToInt(ST(0), 16, out _);
                        Write16(lin, (ushort)v);
                        if (reg == 3) FPop();
                        break;
                    }
                    case 4: FPush(ReadBcd(lin)); break;
                    case 5: FPush((long)(Read32(lin) | ((ulong)Read32(lin + 4) << 32))); break;
                    case 6: WriteBcd(lin, ST(0)); FPop(); break;
                    case 7:
                    {
                        long v = ToInt(ST(0), 64, out _);
                        Write32(lin, (uint)v); Write32(lin + 4, (uint)((ulong)v >> 32));
                        FPop();
                        break;
                    }
                    default: throw new CpuFault(Vec.UD);
                }
                break;
        }
    }

    private double ReadBcd(uint lin)
    {
        long v = 0;
        for (int k = 8; k >= 0; k--)
        {
            byte b = Read8(lin + (uint)k);
            v = v * 100 + (b >> 4) * 10 + (b & 0xF);
        }
        return (Read8(lin + 9) & 0x80) != 0 ? -(double)v : v;
    }

    private void WriteBcd(uint lin, double d)
    {
        long v = (long)RoundFpu(Math.Abs(d));
        for (int k = 0; k < 9; k++)
        {
            int lo = (int)(v % 10); v /= 10;
            int hi = (int)(v % 10); v /= 10;
            Write8(lin + (uint)k, (byte)((hi << 4) | lo));
        }
        Write8(lin + 9, (byte)(d < 0 ? 0x80 : 0));
    }

    private void Fstenv(uint lin)
    {
        Write32(lin, _fcw | 0xFFFF0000u);
        Write32(lin + 4, Fsw | 0xFFFF0000u);
        Write32(lin + 8, TagWord() | 0xFFFF0000u);
        Write32(lin + 12, _fip);
        Write32(lin + 16, _fcs | ((uint)(_fop & 0x7FF) << 16));
        Write32(lin + 20, _fdp);
        Write32(lin + 24, _fds | 0xFFFF0000u);
        _fcw |= 0x3F; // FNSTENV masks all exceptions
    }

    private void Fldenv(uint lin)
    {
        _fcw = (ushort)(Read32(lin) | 0x40);
        ushort sw = (ushort)Read32(lin + 4);
        _top = (sw >> 11) & 7;
        _fsw = (ushort)(sw & ~0x3800);
        SetTagWord((ushort)Read32(lin + 8));
        _fip = Read32(lin + 12);
        uint csop = Read32(lin + 16);
        _fcs = (ushort)csop; _fop = (ushort)((csop >> 16) & 0x7FF);
        _fdp = Read32(lin + 20);
        _fds = (ushort)Read32(lin + 24);
    }

    private void Fsave(uint lin)
    {
        ushort cw = _fcw;
        Fstenv(lin);
        for (int k = 0; k < 8; k++) WriteExt(lin + 28 + (uint)k * 10, ST(k));
        _fcw = cw;
        FpuInit();
    }

    private void Frstor(uint lin)
    {
        Fldenv(lin);
        for (int k = 0; k < 8; k++) ST(k) = ReadExt(lin + 28 + (uint)k * 10);
    }

    private void FpuReg(in Instr i, int esc, int reg, int rm)
    {
        switch (esc)
        {
            case 0:
                if (reg == 2 || reg == 3) { SetCompare(ST(0), ST(rm), false); if (reg == 3) FPop(); }
                else ST(0) = Arith(reg, ST(0), ST(rm));
                break;
            case 1: FpuD9(reg, rm); break;
            case 2:
                switch (reg)
                {
                    case 0: if (GetCF()) ST(0) = ST(rm); break;
                    case 1: if (GetZF()) ST(0) = ST(rm); break;
                    case 2: if (GetCF() || GetZF()) ST(0) = ST(rm); break;
                    case 3: if (GetPF()) ST(0) = ST(rm); break;
                    case 5 when rm == 1: SetCompare(ST(0), ST(1), true); FPop(); FPop(); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 3:
                switch (reg)
                {
                    case 0: if (!GetCF()) ST(0) = ST(rm); break;
                    case 1: if (!GetZF()) ST(0) = ST(rm); break;
                    case 2: if (!GetCF() && !GetZF()) ST(0) = ST(rm); break;
                    case 3: if (!GetPF()) ST(0) = ST(rm); break;
                    case 4:
                        if (rm == 2) _fsw &= 0x7F00; // FNCLEX
                        else if (rm == 3) FpuInit(); // FNINIT
                        else if (rm is 0 or 1 or 4) { } // FENI/FDISI/FSETPM: no-ops on P6
                        else throw new CpuFault(Vec.UD);
                        break;
                    case 5: SetCompareEflags(ST(0), ST(rm)); break;
                    case 6: SetCompareEflags(ST(0), ST(rm)); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 4:
                switch (reg)
                {
                    case 0: ST(rm) = ST(rm) + ST(0); break;
                    case 1: ST(rm) = ST(rm) * ST(0); break;
                    case 2: SetCompare(ST(0), ST(rm), false); break;
                    case 3: SetCompare(ST(0), ST(rm), false); FPop(); break;
                    case 4: ST(rm) = ST(0) - ST(rm); break;
                    case 5: ST(rm) = ST(rm) - ST(0); break;
                    case 6: ST(rm) = ST(0) / ST(rm); break;
                    default: ST(rm) = ST(rm) / ST(0); break;
                }
                break;
            case 5:
                switch (reg)
                {
                    case 0: _fempty |= (byte)(1 << ((_top + rm) & 7)); break; // FFREE
                    case 1: { (ST(0), ST(rm)) = (ST(rm), ST(0)); break; }
                    case 2: ST(rm) = ST(0); break;
                    case 3: ST(rm) = ST(0); FPop(); break;
                    case 4: SetCompare(ST(0), ST(rm), true); break;
                    case 5: SetCompare(ST(0), ST(rm), true); FPop(); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
            case 6:
                switch (reg)
                {
                    case 0: ST(rm) = ST(rm) + ST(0); FPop(); break;
                    case 1: ST(rm) = ST(rm) * ST(0); FPop(); break;
                    case 2: SetCompare(ST(0), ST(rm), false); FPop(); break;
                    case 3:
                        if (rm != 1) throw new CpuFault(Vec.UD);
                        SetCompare(ST(0), ST(1), false); FPop(); FPop();
                        break;
                    case 4: ST(rm) = ST(0) - ST(rm); FPop(); break;
                    case 5: ST(rm) = ST(rm) - ST(0); FPop(); break;
                    case 6: ST(rm) = ST(0) / ST(rm); FPop(); break;
                    default: ST(rm) = ST(rm) / ST(0); FPop(); break;
                }
                break;
            default:
                switch (reg)
                {
                    case 0: _fempty |= (byte)(1 << ((_top + rm) & 7)); FPop(); break; // FFREEP
                    case 1: { (ST(0), ST(rm)) = (ST(rm), ST(0)); break; }
                    case 2: case 3: ST(rm) = ST(0); FPop(); break;
                    case 4:
                        if (rm != 0) throw new CpuFault(Vec.UD);
                        SetReg(0, 1, Fsw);
                        break;
                    case 5: case 6: SetCompareEflags(ST(0), ST(rm)); FPop(); break;
                    default: throw new CpuFault(Vec.UD);
                }
                break;
        }
    }

    private void FpuD9(int reg, int rm)
    {
        switch (reg)
        {
            case 0: { double v = ST(rm); FPush(v); return; }
            case 1: { (ST(0), ST(rm)) = (ST(rm), ST(0)); return; }
            case 2: if (rm == 0) return; break; // FNOP
            case 3: ST(rm) = ST(0); FPop(); return; // FSTP1 alias
            case 4:
                switch (rm)
                {
                    case 0: ST(0) = -ST(0); return;
                    case 1: ST(0) = Math.Abs(ST(0)); return;
                    case 4: SetCompare(ST(0), 0.0, false); return;
                    case 5: Fxam(); return;
                }
                break;
            case 5:
                switch (rm)
                {
                    case 0: FPush(1.0); return;
                    case 1: FPush(Math.Log2(10)); return;
                    case 2: FPush(Math.Log2(Math.E)); return;
                    case 3: FPush(Math.PI); return;
                    case 4: FPush(Math.Log10(2)); return;
                    case 5: FPush(Math.Log(2)); return;
                    case 6: FPush(0.0); return;
                }
                break;
            case 6:
                switch (rm)
                {
                    case 0: ST(0) = Math.Pow(2, ST(0)) - 1; return;
                    case 1: ST(1) = ST(1) * Math.Log2(ST(0)); FPop(); return;
                    case 2: ST(0) = Math.Tan(ST(0)); FPush(1.0); _fsw &= unchecked((ushort)~C2); return;
                    case 3: ST(1) = Math.Atan2(ST(1), ST(0)); FPop(); return;
                    case 4:
                    {
                        double v = ST(0);
                        if (v == 0) { ST(0) = double.NegativeInfinity; FPush(v); _fsw |= 4; return; }
                        int e = Math.ILogB(v);
                        ST(0) = e;
                        FPush(Math.ScaleB(v, -e));
                        return;
                    }
                    case 5: FpRem(true); return;
                    case 6: _top = (_top - 1) & 7; return;
                    case 7: _top = (_top + 1) & 7; return;
                }
                break;
            case 7:
                switch (rm)
                {
                    case 0: FpRem(false); return;
                    case 1: ST(1) = ST(1) * Math.Log2(ST(0) + 1); FPop(); return;
                    case 2: ST(0) = Math.Sqrt(ST(0)); return;
                    case 3: { double v = ST(0); ST(0) = Math.Sin(v); FPush(Math.Cos(v)); _fsw &= unchecked((ushort)~C2); return; }
                    case 4: ST(0) = RoundFpu(ST(0)); return;
                    case 5: ST(0) = Math.ScaleB(ST(0), (int)Math.Truncate(Math.Clamp(ST(1), -100000, 100000))); return;
                    case 6: ST(0) = Math.Sin(ST(0)); _fsw &= unchecked((ushort)~C2); return;
                    case 7: ST(0) = Math.Cos(ST(0)); _fsw &= unchecked((ushort)~C2); return;
                }
                break;
        }
        throw new CpuFault(Vec.UD);
    }

    private void FpRem(bool ieee)
    {
        double a = ST(0), b = ST(1);
        double q = ieee ? Math.Round(a / b, MidpointRounding.ToEven) : Math.Truncate(a / b);
        double r = ieee ? Math.IEEERemainder(a, b) : a % b;
        ST(0) = r;
        long qi = double.IsFinite(q) ? (long)Math.Abs(q % 8) : 0;
        _fsw &= unchecked((ushort)~(C0 | C1 | C2 | C3));
        if ((qi & 1) != 0) _fsw |= C1;
        if ((qi & 2) != 0) _fsw |= C3;
        if ((qi & 4) != 0) _fsw |= C0;
    }

    private void Fxam()
    {
        _fsw &= unchecked((ushort)~(C0 | C1 | C2 | C3));
        int phys = _top;
        double v = _st[phys];
        if (double.IsNegative(v)) _fsw |= C1;
        if ((_fempty & (1 << phys)) != 0) { _fsw |= C0 | C3; return; }
        if (double.IsNaN(v)) _fsw |= C0;
        else if (double.IsInfinity(v)) _fsw |= C0 | C2;
        else if (v == 0) _fsw |= C3;
        else if (double.IsSubnormal(v)) _fsw |= C2 | C3;
        else _fsw |= C2;
    }
}
