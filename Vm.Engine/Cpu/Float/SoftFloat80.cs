using System.Numerics;

namespace Vm.Engine.Cpu.Float;

/// <summary>
/// Extended-precision arithmetic as the x87 does it: exact operations on 64-bit significands kept
/// in a 128-bit working significand (the bits below the result's last place act as guard, round
/// and sticky bits), then one rounding per the control word's rounding and precision control.
/// Precision control narrows only the significand; the exponent keeps the extended range, as on
/// the real FPU. Exceptions are the masked responses (default NaN, ±∞, denormals) with their
/// flags raised in <see cref="FpuEnv.Flags"/>.
/// </summary>
public static class SoftFloat80
{
    private const int EMin = 1 - Float80.Bias, EMax = Float80.Bias;

    /// <summary>An operand taken apart: value = Sig × 2^(E − 63), Sig normalized (bit 63 set) unless zero.</summary>
    private readonly record struct Unpacked(bool Neg, int E, ulong Sig);

    private static Unpacked Unpack(Float80 a)
    {
        if (a.Mant == 0) return new(a.Negative, EMin, 0);
        int e = (a.Exp == 0 ? 1 : a.Exp) - Float80.Bias;
        int lz = BitOperations.LeadingZeroCount(a.Mant);
        return new(a.Negative, e - lz, a.Mant << lz);
    }

    private static UInt128 ShiftRightSticky(UInt128 v, int n)
    {
        if (n <= 0) return v;
        if (n >= 128) return v != 0 ? UInt128.One : UInt128.Zero;
        UInt128 lost = v & ((UInt128.One << n) - 1);
        return (v >> n) | (lost != 0 ? UInt128.One : UInt128.Zero);
    }

    /// <summary>A rounded finite result: Sig has its integer bit at 63 (normal) or is below it with E at the format's minimum (denormal).</summary>
    internal readonly record struct Rounded(bool Neg, int E, ulong Sig, bool Infinite);

    /// <summary>
    /// Rounds value = sig × 2^(e − 127) to <paramref name="p"/> significand bits within the normal
    /// exponent range [eMin, eMax] (denormalizing below it), per the rounding mode.
    /// </summary>
    internal static Rounded Round(bool neg, int e, UInt128 sig, int p, int eMin, int eMax, ref FpuEnv env)
    {
        if (sig == 0) return new(neg, eMin, 0, false);
        int lz = (int)UInt128.LeadingZeroCount(sig);
        sig <<= lz;
        e -= lz;
        bool tiny = false;
        if (e < eMin)
        {
            sig = ShiftRightSticky(sig, eMin - e);
            e = eMin;
            tiny = true;
        }
        int drop = 128 - p;
        ulong kept = (ulong)(sig >> drop);
        UInt128 rem = sig & ((UInt128.One << drop) - 1);
        bool up = false;
        if (rem != 0)
        {
            env.Flags |= FpuEnv.PE;
            UInt128 half = UInt128.One << (drop - 1);
            up = env.Rounding switch
            {
                0 => rem > half || (rem == half && (kept & 1) != 0),
                1 => neg,
                2 => !neg,
                _ => false,
            };
            if (tiny) env.Flags |= FpuEnv.UE;
        }
        if (up)
        {
            kept++;
            env.Flags |= FpuEnv.RoundedUp;
            if (p == 64 ? kept == 0 : kept == 1UL << p)
            {
                kept = 1UL << (p - 1);
                e++;
            }
        }
        if (e > eMax)
        {
            env.Flags |= FpuEnv.OE | FpuEnv.PE;
            bool toInfinity = env.Rounding == 0 || (env.Rounding == 1 && neg) || (env.Rounding == 2 && !neg);
            if (toInfinity) { env.Flags |= FpuEnv.RoundedUp; return new(neg, eMax, 0, true); }
            env.Flags &= ~FpuEnv.RoundedUp;
            return new(neg, eMax, ~0UL << (64 - p), false);
        }
        return new(neg, e, kept << (64 - p), false);
    }

    private static Float80 Pack(in Rounded r)
    {
        if (r.Infinite) return Float80.Infinity(r.Neg);
        if (r.Sig == 0) return Float80.Zero(r.Neg);
        int biased = (r.Sig & Float80.IntegerBit) != 0 ? r.E + Float80.Bias : 0;
        return new Float80(r.Neg, biased, r.Sig);
    }

    /// <summary>Rounds to the extended format at the precision control's significand width.</summary>
    private static Float80 RoundPack(bool neg, int e, UInt128 sig, ref FpuEnv env) =>
        Pack(Round(neg, e, sig, env.Precision, EMin, EMax, ref env));

    // ---- operand checks shared by the arithmetic ----

    /// <summary>NaN operands: an SNaN raises IE; the result is the quieted NaN (of two, the larger significand).</summary>
    private static Float80 PropagateNaN(Float80 a, Float80 b, ref FpuEnv env)
    {
        if (a.IsSignalingNaN || b.IsSignalingNaN) env.Flags |= FpuEnv.IE;
        if (!a.IsNaN) return b.Quieted();
        if (!b.IsNaN) return a.Quieted();
        // A QNaN wins over an SNaN; between two of a kind, the larger significand.
        if (a.IsSignalingNaN != b.IsSignalingNaN) return a.IsSignalingNaN ? b : a;
        ulong ma = a.Mant | Float80.QuietBit, mb = b.Mant | Float80.QuietBit;
        if (ma != mb) return ma > mb ? a.Quieted() : b.Quieted();
        return a.Negative ? b.Quieted() : a.Quieted();
    }

    /// <summary>Returns true (with the result) when an operand is a NaN or unsupported; flags denormal operands.</summary>
    private static bool Special(Float80 a, Float80 b, ref FpuEnv env, out Float80 result)
    {
        if (a.IsUnsupported || b.IsUnsupported)
        {
            env.Flags |= FpuEnv.IE;
            result = Float80.Indefinite;
            return true;
        }
        if (a.IsNaN || b.IsNaN)
        {
            result = PropagateNaN(a, b, ref env);
            return true;
        }
        if (a.IsDenormal || b.IsDenormal) env.Flags |= FpuEnv.DE;
        result = default;
        return false;
    }

    /// <summary>The masked invalid-operation response; an invalid operation does not also report a denormal operand.</summary>
    private static Float80 Invalid(ref FpuEnv env)
    {
        env.Flags = (env.Flags & ~FpuEnv.DE) | FpuEnv.IE;
        return Float80.Indefinite;
    }

    // ---- arithmetic ----

    public static Float80 Add(Float80 a, Float80 b, ref FpuEnv env) => AddSigned(a, b, false, ref env);

    public static Float80 Sub(Float80 a, Float80 b, ref FpuEnv env) => AddSigned(a, b, true, ref env);

    private static Float80 AddSigned(Float80 a, Float80 b, bool subtract, ref FpuEnv env)
    {
        if (Special(a, b, ref env, out var r)) return r;
        if (subtract) b = b.Negate();
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsInfinity && b.IsInfinity && a.Negative != b.Negative) return Invalid(ref env);
            return a.IsInfinity ? a : b;
        }
        if (a.IsZero && b.IsZero)
            return Float80.Zero(a.Negative == b.Negative ? a.Negative : env.Rounding == 1);
        var ua = Unpack(a);
        var ub = Unpack(b);
        if (a.IsZero) return RoundPack(ub.Neg, ub.E, (UInt128)ub.Sig << 64, ref env);
        if (b.IsZero) return RoundPack(ua.Neg, ua.E, (UInt128)ua.Sig << 64, ref env);
        if (ua.E < ub.E) (ua, ub) = (ub, ua);
        // Significands at bits 125..62: room for the carry of an addition and 62 guard bits.
        UInt128 sa = (UInt128)ua.Sig << 62;
        UInt128 sb = ShiftRightSticky((UInt128)ub.Sig << 62, ua.E - ub.E);
        int e = ua.E + 2;
        if (ua.Neg == ub.Neg) return RoundPack(ua.Neg, e, sa + sb, ref env);
        if (sa == sb) return Float80.Zero(env.Rounding == 1);
        return sa > sb ? RoundPack(ua.Neg, e, sa - sb, ref env) : RoundPack(ub.Neg, e, sb - sa, ref env);
    }

    public static Float80 Mul(Float80 a, Float80 b, ref FpuEnv env)
    {
        if (Special(a, b, ref env, out var r)) return r;
        bool neg = a.Negative != b.Negative;
        if (a.IsInfinity || b.IsInfinity)
        {
            if (a.IsZero || b.IsZero) return Invalid(ref env);
            return Float80.Infinity(neg);
        }
        if (a.IsZero || b.IsZero) return Float80.Zero(neg);
        var ua = Unpack(a);
        var ub = Unpack(b);
        return RoundPack(neg, ua.E + ub.E + 1, (UInt128)ua.Sig * ub.Sig, ref env);
    }

    public static Float80 Div(Float80 a, Float80 b, ref FpuEnv env)
    {
        if (Special(a, b, ref env, out var r)) return r;
        bool neg = a.Negative != b.Negative;
        if (a.IsInfinity)
            return b.IsInfinity ? Invalid(ref env) : Float80.Infinity(neg);
        if (b.IsInfinity) return Float80.Zero(neg);
        if (b.IsZero)
        {
            if (a.IsZero) return Invalid(ref env);
            env.Flags = (env.Flags & ~FpuEnv.DE) | FpuEnv.ZE;
            return Float80.Infinity(neg);
        }
        if (a.IsZero) return Float80.Zero(neg);
        var ua = Unpack(a);
        var ub = Unpack(b);
        // Two 64-bit quotient digits: (a·2^63)/b, then the remainder's next 64 bits; the last
        // remainder is the sticky bit.
        UInt128 num = (UInt128)ua.Sig << 63;
        UInt128 q1 = num / ub.Sig;
        UInt128 r1 = num - q1 * ub.Sig;
        UInt128 num2 = r1 << 64;
        UInt128 q2 = num2 / ub.Sig;
        UInt128 r2 = num2 - q2 * ub.Sig;
        UInt128 sig = (q1 << 64) | q2 | (r2 != 0 ? UInt128.One : UInt128.Zero);
        return RoundPack(neg, ua.E - ub.E, sig, ref env);
    }

    public static Float80 Sqrt(Float80 a, ref FpuEnv env)
    {
        if (Special(a, a, ref env, out var r)) return r;
        if (a.IsZero) return a;
        if (a.Negative) return Invalid(ref env);
        if (a.IsInfinity) return a;
        var ua = Unpack(a);
        int k = ua.E - 63; // value = Sig · 2^k
        UInt128 m = (k & 1) == 0 ? (UInt128)ua.Sig << 64 : (UInt128)ua.Sig << 63;
        int half = ((k & 1) == 0 ? k - 64 : k - 63) / 2;
        ulong s = ISqrt(m, out UInt128 rem);
        // The root lies in [s, s+1): past the halfway point exactly when rem > s (never equal to it).
        UInt128 sig = ((UInt128)s << 64) | (rem > s ? (UInt128)1 << 63 : 0) | (rem != 0 ? UInt128.One : 0);
        return RoundPack(false, half + 63, sig, ref env);
    }

    /// <summary>Integer square root of a 128-bit value (bit by bit), and the remainder.</summary>
    private static ulong ISqrt(UInt128 n, out UInt128 rem)
    {
        UInt128 root = 0, r = 0;
        for (int i = 63; i >= 0; i--)
        {
            r = (r << 2) | ((n >> (2 * i)) & 3);
            UInt128 trial = (root << 2) | 1;
            root <<= 1;
            if (r >= trial) { r -= trial; root |= 1; }
        }
        rem = r;
        return (ulong)root;
    }

    /// <summary>Rounds to the precision control's width (FLD of a wider value does not; arithmetic does).</summary>
    public static Float80 RoundToPrecision(Float80 a, ref FpuEnv env)
    {
        if (a.IsNaN || a.IsInfinity || a.IsZero || a.IsUnsupported) return a;
        var u = Unpack(a);
        return RoundPack(u.Neg, u.E, (UInt128)u.Sig << 64, ref env);
    }

    /// <summary>FSCALE: a × 2^trunc(b).</summary>
    public static Float80 Scale(Float80 a, Float80 b, ref FpuEnv env)
    {
        if (Special(a, b, ref env, out var r)) return r;
        if (b.IsInfinity)
        {
            if (b.Negative) return a.IsInfinity ? Invalid(ref env) : Float80.Zero(a.Negative);
            return a.IsZero ? Invalid(ref env) : Float80.Infinity(a.Negative);
        }
        if (a.IsInfinity || a.IsZero) return a;
        // trunc(b), clamped: beyond ±70000 every finite a overflows or underflows anyway.
        long n;
        if (b.Exp >= Float80.Bias + 62) n = b.Negative ? -70000 : 70000;
        else
        {
            var env2 = env with { Rounding = 3 };
            n = Math.Clamp(ToInt(b, 64, ref env2, out _), -70000, 70000);
        }
        var u = Unpack(a);
        return Pack(Round(u.Neg, u.E + (int)n, (UInt128)u.Sig << 64, 64, EMin, EMax, ref env));
    }

    // ---- comparisons ----

    /// <summary>−1, 0, 1, or 2 when unordered. Any NaN raises IE unless <paramref name="quiet"/> (then only SNaN).</summary>
    public static int Compare(Float80 a, Float80 b, bool quiet, ref FpuEnv env)
    {
        if (a.IsUnsupported || b.IsUnsupported) { env.Flags |= FpuEnv.IE; return 2; }
        if (a.IsNaN || b.IsNaN)
        {
            if (!quiet || a.IsSignalingNaN || b.IsSignalingNaN) env.Flags |= FpuEnv.IE;
            return 2;
        }
        if (a.IsDenormal || b.IsDenormal) env.Flags |= FpuEnv.DE;
        if (a.IsZero && b.IsZero) return 0;
        if (a.Negative != b.Negative) return a.IsZero && b.IsZero ? 0 : a.Negative ? -1 : 1;
        int mag = CompareMagnitude(a, b);
        return a.Negative ? -mag : mag;
    }

    private static int CompareMagnitude(Float80 a, Float80 b)
    {
        if (a.IsInfinity || b.IsInfinity) return a.IsInfinity == b.IsInfinity ? 0 : a.IsInfinity ? 1 : -1;
        var ua = Unpack(a);
        var ub = Unpack(b);
        if (ua.Sig == 0 || ub.Sig == 0) return ua.Sig == ub.Sig ? 0 : ua.Sig == 0 ? -1 : 1;
        if (ua.E != ub.E) return ua.E < ub.E ? -1 : 1;
        return ua.Sig.CompareTo(ub.Sig);
    }

    // ---- integers ----

    public static Float80 FromInt64(long v)
    {
        if (v == 0) return Float80.Zero(false);
        bool neg = v < 0;
        ulong m = neg ? (ulong)-v : (ulong)v; // -long.MinValue wraps to 2^63, which is right as unsigned
        int lz = BitOperations.LeadingZeroCount(m);
        return new Float80(neg, 63 - lz + Float80.Bias, m << lz);
    }

    /// <summary>
    /// Rounds to an integer of <paramref name="bits"/> bits per the rounding mode; out of range,
    /// NaN or infinity raise IE and give the integer indefinite (the most negative value).
    /// </summary>
    public static long ToInt(Float80 a, int bits, ref FpuEnv env, out bool invalid)
    {
        long indefinite = bits == 64 ? long.MinValue : -(1L << (bits - 1));
        invalid = true;
        if (a.IsNaN || a.IsInfinity || a.IsUnsupported) { env.Flags |= FpuEnv.IE; return indefinite; }
        // FIST reports no denormal-operand exception (measured on the host).
        if (!RoundToInteger(a, env.Rounding, out ulong mag, out bool inexact, out bool up, out bool huge) || huge)
        {
            env.Flags |= FpuEnv.IE;
            return indefinite;
        }
        ulong limit = a.Negative ? 1UL << (bits - 1) : (1UL << (bits - 1)) - 1;
        if (mag > limit) { env.Flags |= FpuEnv.IE; return indefinite; }
        invalid = false;
        if (inexact) env.Flags |= FpuEnv.PE;
        if (up) env.Flags |= FpuEnv.RoundedUp;
        return a.Negative ? (long)(0 - mag) : (long)mag;
    }

    /// <summary>FRNDINT.</summary>
    public static Float80 RoundToInt(Float80 a, ref FpuEnv env)
    {
        if (Special(a, a, ref env, out var r)) return r;
        if (a.IsInfinity || a.IsZero) return a;
        if (a.Exp >= Float80.Bias + 63) return a; // already an integer
        RoundToInteger(a, env.Rounding, out ulong mag, out bool inexact, out bool up, out _);
        if (inexact) env.Flags |= FpuEnv.PE;
        if (up) env.Flags |= FpuEnv.RoundedUp;
        if (mag == 0) return Float80.Zero(a.Negative);
        int lz = BitOperations.LeadingZeroCount(mag);
        return new Float80(a.Negative, 63 - lz + Float80.Bias, mag << lz);
    }

    /// <summary>The magnitude rounded to an integer; false (or huge) when it needs more than 64 bits.</summary>
    private static bool RoundToInteger(Float80 a, int rounding, out ulong mag, out bool inexact, out bool up, out bool huge)
    {
        mag = 0; inexact = false; up = false; huge = false;
        if (a.IsZero) return true;
        var u = Unpack(a);
        if (u.E > 63) { huge = true; return false; }
        // Integer part in the high 64 bits, fraction (with sticky) in the low 64 bits.
        UInt128 fixedPoint = ShiftRightSticky((UInt128)u.Sig << 64, 63 - u.E);
        ulong ipart = (ulong)(fixedPoint >> 64);
        ulong frac = (ulong)fixedPoint;
        if (frac != 0)
        {
            inexact = true;
            up = rounding switch
            {
                0 => frac > 0x8000000000000000UL || (frac == 0x8000000000000000UL && (ipart & 1) != 0),
                1 => a.Negative,
                2 => !a.Negative,
                _ => false,
            };
        }
        if (up)
        {
            ipart++;
            if (ipart == 0) { huge = true; return false; }
        }
        mag = ipart;
        return true;
    }

    // ---- IEEE single and double ----

    public static Float80 FromDouble(ulong bits, ref FpuEnv env) => FromIeee(bits, 52, 11, ref env);

    public static Float80 FromSingle(uint bits, ref FpuEnv env) => FromIeee(bits, 23, 8, ref env);

    private static Float80 FromIeee(ulong bits, int fracBits, int expBits, ref FpuEnv env)
    {
        bool neg = (bits >> (fracBits + expBits)) != 0;
        int emax = (1 << expBits) - 1, bias = emax >> 1;
        int exp = (int)(bits >> fracBits) & emax;
        ulong frac = bits & ((1UL << fracBits) - 1);
        if (exp == emax)
        {
            if (frac == 0) return Float80.Infinity(neg);
            var nan = new Float80(neg, 0x7FFF, Float80.IntegerBit | (frac << (63 - fracBits)));
            if (nan.IsSignalingNaN) { env.Flags |= FpuEnv.IE; return nan.Quieted(); }
            return nan;
        }
        if (exp == 0)
        {
            if (frac == 0) return Float80.Zero(neg);
            env.Flags |= FpuEnv.DE;
            int lz = BitOperations.LeadingZeroCount(frac);
            // value = frac · 2^(1 − bias − fracBits)
            return new Float80(neg, 1 - bias - fracBits + 63 - lz + Float80.Bias, frac << lz);
        }
        return new Float80(neg, exp - bias + Float80.Bias, Float80.IntegerBit | (frac << (63 - fracBits)));
    }

    public static ulong ToDouble(Float80 a, ref FpuEnv env) => ToIeee(a, 52, 11, ref env);

    public static uint ToSingle(Float80 a, ref FpuEnv env) => (uint)ToIeee(a, 23, 8, ref env);

    private static ulong ToIeee(Float80 a, int fracBits, int expBits, ref FpuEnv env)
    {
        int emax = (1 << expBits) - 1, bias = emax >> 1;
        ulong sign = a.Negative ? 1UL << (fracBits + expBits) : 0;
        ulong fracMask = (1UL << fracBits) - 1;
        if (a.IsUnsupported) { env.Flags |= FpuEnv.IE; a = Float80.Indefinite; sign = 1UL << (fracBits + expBits); }
        if (a.IsNaN)
        {
            if (a.IsSignalingNaN) env.Flags |= FpuEnv.IE;
            ulong payload = ((a.Mant | Float80.QuietBit) >> (63 - fracBits)) & fracMask;
            return sign | ((ulong)emax << fracBits) | payload;
        }
        if (a.IsInfinity) return sign | ((ulong)emax << fracBits);
        if (a.IsZero) return sign;
        // FST to a narrower format reports no denormal-operand exception (measured on the host).
        var u = Unpack(a);
        var r = Round(u.Neg, u.E, (UInt128)u.Sig << 64, fracBits + 1, 1 - bias, bias, ref env);
        if (r.Infinite) return sign | ((ulong)emax << fracBits);
        if (r.Sig == 0) return sign;
        bool normal = (r.Sig & Float80.IntegerBit) != 0;
        ulong field = normal ? (ulong)(r.E + bias) : 0;
        return sign | (field << fracBits) | ((r.Sig >> (63 - fracBits)) & fracMask);
    }

    // ---- host doubles, for the transcendental functions computed in double ----

    public static double ToHostDouble(Float80 a)
    {
        var env = FpuEnv.Nearest64;
        return BitConverter.Int64BitsToDouble((long)ToDouble(a, ref env));
    }

    public static Float80 FromHostDouble(double d, ref FpuEnv env)
    {
        var scratch = FpuEnv.Nearest64;
        var r = FromDouble((ulong)BitConverter.DoubleToInt64Bits(d), ref scratch);
        if (double.IsNaN(d)) { env.Flags |= FpuEnv.IE; return Float80.Indefinite; }
        if (d != 0 && double.IsFinite(d)) env.Flags |= FpuEnv.PE;
        return r;
    }
}
