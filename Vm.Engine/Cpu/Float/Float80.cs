namespace Vm.Engine.Cpu.Float;

/// <summary>
/// An x87 register value in the 80-bit extended format: sign and 15-bit biased exponent in
/// <see cref="SignExp"/>, a 64-bit significand with an explicit integer bit in <see cref="Mant"/>.
/// Kept as the raw bits so FLD/FSTP m80, FSAVE/FRSTOR and snapshots round-trip every encoding,
/// including the ones the 387 and later refuse as operands (unnormals, pseudo-NaNs).
/// </summary>
public readonly struct Float80 : IEquatable<Float80>
{
    public const int Bias = 16383;
    public const ulong IntegerBit = 0x8000000000000000UL;
    public const ulong QuietBit = 0x4000000000000000UL;

    public readonly ulong Mant;
    public readonly ushort SignExp;

    public Float80(ulong mant, ushort signExp) { Mant = mant; SignExp = signExp; }

    public Float80(bool negative, int biasedExp, ulong mant)
    {
        Mant = mant;
        SignExp = (ushort)((negative ? 0x8000 : 0) | (biasedExp & 0x7FFF));
    }

    public bool Negative => (SignExp & 0x8000) != 0;
    public int Exp => SignExp & 0x7FFF;

    public bool IsZero => Exp == 0 && Mant == 0;
    /// <summary>Exponent 0 with a non-zero significand: a denormal, or a pseudo-denormal (integer bit set).</summary>
    public bool IsDenormal => Exp == 0 && Mant != 0;
    public bool IsNaN => Exp == 0x7FFF && (Mant & IntegerBit) != 0 && (Mant << 1) != 0;
    public bool IsSignalingNaN => IsNaN && (Mant & QuietBit) == 0;
    public bool IsInfinity => Exp == 0x7FFF && Mant == IntegerBit;
    /// <summary>Encodings the 387 and later reject with an invalid-operation exception: unnormals, pseudo-NaN, pseudo-infinity.</summary>
    public bool IsUnsupported => Exp != 0 && (Mant & IntegerBit) == 0;

    public Float80 Negate() => new(Mant, (ushort)(SignExp ^ 0x8000));
    public Float80 Abs() => new(Mant, (ushort)(SignExp & 0x7FFF));
    public Float80 Quieted() => new(Mant | QuietBit, SignExp);

    public static Float80 Zero(bool negative) => new(negative, 0, 0);
    public static Float80 Infinity(bool negative) => new(negative, 0x7FFF, IntegerBit);
    /// <summary>The "real indefinite" QNaN the x87 produces for a masked invalid operation.</summary>
    public static readonly Float80 Indefinite = new(true, 0x7FFF, 0xC000000000000000UL);
    public static readonly Float80 One = new(false, Bias, IntegerBit);

    public bool Equals(Float80 other) => Mant == other.Mant && SignExp == other.SignExp;
    public override bool Equals(object? obj) => obj is Float80 f && Equals(f);
    public override int GetHashCode() => HashCode.Combine(Mant, SignExp);
    public static bool operator ==(Float80 a, Float80 b) => a.Equals(b);
    public static bool operator !=(Float80 a, Float80 b) => !a.Equals(b);
    public override string ToString() => $"{SignExp:X4}:{Mant:X16}";
}
