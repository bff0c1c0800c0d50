namespace Vm.Engine.Tests.Differential;

/// <summary>
/// Random x87 operands in the 80-bit format, weighted toward the cases programs can tell apart:
/// signed zeros, infinities, quiet and signaling NaNs, denormals and pseudo-denormals, values at
/// the edges of the exponent range, exact integers, close pairs (cancellation) and all-ones
/// significands (carries in rounding).
/// </summary>
public static class X87Inputs
{
    public const int Bias = 16383;

    public static (ulong Mant, ushort SignExp) Value(Random rng)
    {
        ushort sign = rng.Next(2) == 0 ? (ushort)0 : (ushort)0x8000;
        ulong random = (ulong)rng.NextInt64() << 1 | (uint)rng.Next(2);
        switch (rng.Next(20))
        {
            case 0: return (0, sign);
            case 1: return (0x8000000000000000UL, (ushort)(sign | 0x7FFF)); // infinity
            case 2: return (0xC000000000000000UL | (random >> 2 & (rng.Next(2) == 0 ? 0 : ~0UL)), (ushort)(sign | 0x7FFF)); // QNaN
            case 3: return (0x8000000000000000UL | (random >> 2) | 1, (ushort)(sign | 0x7FFF)); // SNaN
            case 4: return (random >> (1 + rng.Next(63)), sign); // denormal
            case 5: return (0x8000000000000000UL | random, (ushort)(sign | rng.Next(1, 4))); // smallest normals
            case 6: return (0x8000000000000000UL | random, (ushort)(sign | (0x7FFE - rng.Next(3)))); // largest
            case 7: // an exact integer
            {
                long v = rng.NextInt64(-(1L << rng.Next(1, 63)), 1L << rng.Next(1, 63));
                if (v == 0) return (0, sign);
                ulong m = (ulong)Math.Abs(v);
                int lz = System.Numerics.BitOperations.LeadingZeroCount(m);
                return (m << lz, (ushort)((v < 0 ? 0x8000 : 0) | (Bias + 63 - lz)));
            }
            case 8: return (~0UL << rng.Next(0, 12), (ushort)(sign | (Bias + rng.Next(-3, 4)))); // all ones
            case 9: return (0x8000000000000000UL | (random & ~((1UL << rng.Next(30, 63)) - 1)), (ushort)(sign | (Bias + rng.Next(-20, 20)))); // short significands
            case 10: return (0x8000000000000000UL | random, (ushort)(sign | (Bias + rng.Next(-16000, 16000)))); // anywhere
            default: return (0x8000000000000000UL | random, (ushort)(sign | (Bias + rng.Next(-70, 70))));
        }
    }

    /// <summary>A second operand close to the first (same exponent, nearby significand) or independent.</summary>
    public static (ulong Mant, ushort SignExp) Partner(Random rng, (ulong Mant, ushort SignExp) a)
    {
        if (rng.Next(3) != 0) return Value(rng);
        ulong m = a.Mant ^ (ulong)rng.Next(0, 1 << rng.Next(1, 20));
        ushort se = (ushort)(a.SignExp ^ (rng.Next(2) == 0 ? 0 : 0x8000));
        if (rng.Next(3) == 0) se = (ushort)((se & 0x8000) | Math.Clamp((se & 0x7FFF) + rng.Next(-64, 65), 1, 0x7FFE));
        return (m, se);
    }

    /// <summary>Control word: all exceptions masked, random rounding control and precision control (24, 53, 64 bits).</summary>
    public static ushort ControlWord(Random rng)
    {
        int pc = rng.Next(3) switch { 0 => 0, 1 => 2, _ => 3 };
        return (ushort)(0x007F | (pc << 8) | (rng.Next(4) << 10));
    }

    /// <summary>An IEEE double's bits: normals, denormals, zeros, infinities, NaNs (quiet and signaling).</summary>
    public static ulong Double(Random rng)
    {
        ulong sign = (ulong)rng.Next(2) << 63;
        ulong frac = (ulong)rng.NextInt64() & 0xFFFFFFFFFFFFFUL;
        return rng.Next(8) switch
        {
            0 => sign,
            1 => sign | (0x7FFUL << 52) | (rng.Next(3) == 0 ? 0 : frac | 1),
            2 => sign | (frac >> rng.Next(0, 52)),
            _ => sign | ((ulong)rng.Next(1, 0x7FF) << 52) | frac,
        };
    }

    public static uint Single(Random rng)
    {
        uint sign = (uint)rng.Next(2) << 31;
        uint frac = (uint)rng.Next() & 0x7FFFFF;
        return rng.Next(8) switch
        {
            0 => sign,
            1 => sign | (0xFFu << 23) | (rng.Next(3) == 0 ? 0 : frac | 1),
            2 => sign | (frac >> rng.Next(0, 23)),
            _ => sign | ((uint)rng.Next(1, 0xFF) << 23) | frac,
        };
    }

    /// <summary>18 packed BCD digits and a sign byte (valid digits only).</summary>
    public static void Bcd(Random rng, Span<byte> at)
    {
        int digits = rng.Next(0, 19);
        for (int k = 0; k < 9; k++)
        {
            int lo = 2 * k < digits ? rng.Next(10) : 0, hi = 2 * k + 1 < digits ? rng.Next(10) : 0;
            at[k] = (byte)((hi << 4) | lo);
        }
        at[9] = (byte)(rng.Next(2) == 0 ? 0 : 0x80);
    }

    public static void Write80(Span<byte> at, (ulong Mant, ushort SignExp) v)
    {
        BitConverter.TryWriteBytes(at, v.Mant);
        BitConverter.TryWriteBytes(at[8..], v.SignExp);
    }
}
