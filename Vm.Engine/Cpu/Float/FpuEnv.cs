namespace Vm.Engine.Cpu.Float;

/// <summary>
/// What one x87 operation needs from the control word (rounding and precision control) and what it
/// reports back: exception flags in their status-word positions plus C1 (set when the last
/// rounding went up in magnitude, as the x87 reports it).
/// </summary>
public struct FpuEnv
{
    public const int IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, RoundedUp = 0x200;

    /// <summary>0 nearest-even, 1 down (toward −∞), 2 up (toward +∞), 3 toward zero.</summary>
    public int Rounding;
    /// <summary>Significand bits of arithmetic results: 24, 53 or 64 (precision control).</summary>
    public int Precision;
    public int Flags;

    public FpuEnv(ushort controlWord)
    {
        Rounding = (controlWord >> 10) & 3;
        Precision = ((controlWord >> 8) & 3) switch { 0 => 24, 2 => 53, _ => 64 };
        Flags = 0;
    }

    public static FpuEnv Nearest64 => new() { Rounding = 0, Precision = 64 };
}
