using System.Numerics;
using Vm.Engine.Cpu.Float;

namespace Vm.Engine.Cpu;

/// <summary>
/// x87 constants, remainders, FXTRACT, and the transcendental functions. FPREM/FPREM1 and
/// FXTRACT are exact in 80 bits; the transcendentals (F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN,
/// FSIN, FCOS, FSINCOS) are computed in host double precision and differ from the real FPU in
/// the last bits of the 64-bit significand.
/// </summary>
public sealed unsafe partial class X86Cpu
{
    /// <summary>
    /// FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: the 64-bit truncation of each constant
    /// and whether the rest is above half an ulp; the 387 and later round these per RC.
    /// </summary>
    private static readonly (int Exp, ulong Mant, bool NearestUp)[] Constants =
    [
        (16383, 0x8000000000000000UL, false), // 1
        (16384, 0xD49A784BCD1B8AFEUL, false), // log2(10)
        (16383, 0xB8AA3B295C17F0BBUL, true),  // log2(e)
        (16384, 0xC90FDAA22168C234UL, true),  // pi
        (16381, 0x9A209A84FBCFF798UL, true),  // log10(2)
        (16382, 0xB17217F7D1CF79ABUL, true),  // ln(2)
        (0, 0, false),                         // +0
    ];

    private Float80 Constant(int index)
    {
        var (exp, mant, nearestUp) = Constants[index];
        if (index is 0 or 6) return new Float80(false, exp, mant);
        int rc = (_fcw >> 10) & 3;
        bool up = rc == 2 || (rc == 0 && nearestUp);
        return new Float80(false, exp, up ? mant + 1 : mant);
    }

    /// <summary>2^x − 1 without the cancellation of Pow(2, x) − 1 near 0: expm1(e) = 2t/(1 − t), t = tanh(e/2).</summary>
    private static double TwoToXMinusOne(double x)
    {
        double t = Math.Tanh(x * Math.Log(2) / 2);
        return 2 * t / (1 - t);
    }

    /// <summary>ln(1 + x) accurate near 0 (the rounding error of 1 + x is divided back out).</summary>
    private static double LogOnePlus(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    private void Transcendental1(Func<double, double> f, bool trig = false)
    {
        if (Underflow(0)) { SetST(0, Float80.Indefinite); return; }
        var x = ST(0);
        if (trig)
        {
            _fsw &= unchecked((ushort)~C2);
            if (TrigOutOfRange(x)) return;
        }
        SetST(0, HostResult(x, x, (a, _) => f(a)));
    }

    /// <summary>ST(1) = f(ST(1), ST(0)), then pop.</summary>
    private void Transcendental2(Func<double, double, double> f)
    {
        if (Underflow(0, 1)) { SetST(1, Float80.Indefinite); FPop(); return; }
        SetST(1, HostResult(ST(1), ST(0), f));
        FPop();
    }

    private Float80 HostResult(Float80 a, Float80 b, Func<double, double, double> f)
    {
        var env = Env();
        if (a.IsNaN || b.IsNaN || a.IsUnsupported || b.IsUnsupported)
        {
            // NaN operands propagate as in the other arithmetic (an addition does exactly that).
            var r = SoftFloat80.Add(a, b, ref env);
            Commit(env);
            return r;
        }
        if (a.IsDenormal || b.IsDenormal) env.Flags |= FpuEnv.DE;
        double d = f(SoftFloat80.ToHostDouble(a), SoftFloat80.ToHostDouble(b));
        var result = SoftFloat80.FromHostDouble(d, ref env);
        Commit(env);
        return result;
    }

    /// <summary>|x| ≥ 2^63: FSIN/FCOS/FPTAN/FSINCOS leave the operand and set C2.</summary>
    private bool TrigOutOfRange(Float80 x)
    {
        if (x.IsNaN || x.IsInfinity || x.IsUnsupported || x.Exp < Float80.Bias + 63) return false;
        _fsw |= C2;
        return true;
    }

    private void Fptan()
    {
        if (Underflow(0)) { SetST(0, Float80.Indefinite); FPush(Float80.Indefinite); return; }
        _fsw &= unchecked((ushort)~C2);
        if (TrigOutOfRange(ST(0))) return;
        bool nan = ST(0).IsNaN || ST(0).IsInfinity;
        SetST(0, HostResult(ST(0), ST(0), (a, _) => Math.Tan(a)));
        FPush(nan ? ST(0) : Float80.One);
    }

    private void Fsincos()
    {
        if (Underflow(0)) { SetST(0, Float80.Indefinite); FPush(Float80.Indefinite); return; }
        _fsw &= unchecked((ushort)~C2);
        var x = ST(0);
        if (TrigOutOfRange(x)) return;
        SetST(0, HostResult(x, x, (a, _) => Math.Sin(a)));
        FPush(HostResult(x, x, (a, _) => Math.Cos(a)));
    }

    /// <summary>FXTRACT: ST(0) becomes its unbiased exponent, then its significand (exponent 0) is pushed.</summary>
    private void Fxtract()
    {
        if (Underflow(0)) { SetST(0, Float80.Indefinite); FPush(Float80.Indefinite); return; }
        var v = ST(0);
        var env = Env();
        if (v.IsNaN || v.IsUnsupported)
        {
            var n = SoftFloat80.Add(v, v, ref env);
            Commit(env);
            SetST(0, n); FPush(n);
            return;
        }
        if (v.IsInfinity) { SetST(0, Float80.Infinity(false)); FPush(v); return; }
        if (v.IsZero)
        {
            RaiseFpu(FpuEnv.ZE);
            SetST(0, Float80.Infinity(true));
            FPush(v);
            return;
        }
        int e = (v.Exp == 0 ? 1 : v.Exp) - Float80.Bias;
        ulong m = v.Mant;
        if (v.Exp == 0) RaiseFpu(FpuEnv.DE);
        int lz = BitOperations.LeadingZeroCount(m);
        SetST(0, SoftFloat80.FromInt64(e - lz));
        FPush(new Float80(v.Negative, Float80.Bias, m << lz));
    }

    /// <summary>
    /// FPREM (quotient truncated) and FPREM1 (quotient rounded to nearest): the exact remainder
    /// when the exponents differ by less than 64, with the quotient's low three bits in C0 C3 C1;
    /// otherwise a partial remainder (C2 = 1) that reduces the exponent difference to 32–63.
    /// </summary>
    private void FpRem(bool nearest)
    {
        if (Underflow(0, 1)) { SetST(0, Float80.Indefinite); return; }
        Float80 a = ST(0), b = ST(1);
        var env = Env();
        if (a.IsNaN || b.IsNaN || a.IsUnsupported || b.IsUnsupported)
        {
            var n = SoftFloat80.Add(a, b, ref env);
            Commit(env);
            SetST(0, n);
            return;
        }
        if (a.IsInfinity || b.IsZero)
        {
            RaiseFpu(FpuEnv.IE);
            SetST(0, Float80.Indefinite);
            return;
        }
        if (a.IsDenormal || b.IsDenormal) RaiseFpu(FpuEnv.DE);
        if (a.IsZero || b.IsInfinity)
        {
            SetConditionCodes(0);
            return;
        }
        Normalize(a, out int ea, out ulong ma);
        Normalize(b, out int eb, out ulong mb);
        int d = ea - eb;
        bool partial = d >= 64;
        int eq = eb; // exponent the divisor is scaled to
        if (partial)
        {
            int n = 32 + (d % 32);
            eq = ea - n;
            d = n;
        }
        ulong q;
        UInt128 r; // remainder at the scale of 2^(eq - 63)
        bool flip = false;
        if (d < 0)
        {
            q = 0;
            r = 0; // unused: the remainder is a itself unless FPREM1 rounds the quotient up
            if (nearest && d == -1 && ma > mb)
            {
                // |a| in (|b|/2, |b|): quotient 1, remainder |b| − |a| with the sign flipped.
                q = 1;
                flip = true;
                r = ((UInt128)mb << 1) - ma; // at the scale of a
                eq = ea;
            }
            else
            {
                SetConditionCodes(0);
                return;
            }
        }
        else
        {
            UInt128 num = (UInt128)ma << d;
            UInt128 qq = num / mb;
            r = num - qq * mb;
            if (nearest && !partial)
            {
                UInt128 twice = r << 1;
                if (twice > mb || (twice == mb && (qq & 1) != 0))
                {
                    qq++;
                    r = mb - r;
                    flip = true;
                }
            }
            q = (ulong)qq;
        }
        bool neg = a.Negative ^ flip;
        Float80 result;
        if (r == 0) result = Float80.Zero(a.Negative);
        else
        {
            int lz = (int)UInt128.LeadingZeroCount(r) - 64;
            ulong m = (ulong)(r << lz);
            int e = eq - lz;
            result = e >= 1 - Float80.Bias
                ? new Float80(neg, e + Float80.Bias, m)
                : new Float80(neg, 0, m >> (1 - Float80.Bias - e)); // exact: a remainder is a multiple of b's ulp
        }
        SetST(0, result);
        if (partial) { _fsw |= C2; return; }
        ushort c = 0;
        if ((q & 1) != 0) c |= C1;
        if ((q & 2) != 0) c |= C3;
        if ((q & 4) != 0) c |= C0;
        SetConditionCodes(c);
    }

    /// <summary>Exponent (unbiased) and normalized significand of a finite non-zero value.</summary>
    private static void Normalize(Float80 v, out int e, out ulong m)
    {
        e = (v.Exp == 0 ? 1 : v.Exp) - Float80.Bias;
        int lz = BitOperations.LeadingZeroCount(v.Mant);
        m = v.Mant << lz;
        e -= lz;
    }
}
