namespace Vm.Engine.Cpu;

/// <summary>A processor exception raised by an instruction (a fault: EIP points at the instruction).</summary>
public sealed class CpuFault(int vector, int errorCode = -1) : Exception($"CPU exception {vector} ({errorCode})")
{
    public int Vector { get; } = vector;
    /// <summary>Error code pushed on the stack, or -1 when the exception has none.</summary>
    public int ErrorCode { get; } = errorCode;
}

/// <summary>Exception vectors (SDM vol. 3 §6.3.1).</summary>
public static class Vec
{
    public const int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
        TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17;
}

/// <summary>What the CPU asks of the interrupt controller.</summary>
public interface IInterruptController
{
    bool HasInterrupt { get; }
    int Acknowledge();
}
