using System.Diagnostics;

namespace Vm.Engine.Devices;

public enum ClockMode
{
    /// <summary>Time follows the retired instruction count (deterministic); idle time is skipped.</summary>
    Instructions,
    /// <summary>Time follows the host's monotonic clock.</summary>
    WallClock,
}

/// <summary>
/// The machine's clock. In instruction mode, guest time = instructions × NsPerInstruction plus
/// time skipped while the CPU is halted, so runs are reproducible.
/// </summary>
public sealed partial class VirtualClock(ClockMode mode, Func<ulong> instructions, ulong nsPerInstruction = 1) : IClock
{
    private readonly Stopwatch _sw = Stopwatch.StartNew();
    private ulong _skipped;

    public ClockMode Mode => mode;
    public ulong NsPerInstruction => nsPerInstruction;

    public ulong NowNs => mode == ClockMode.Instructions
        ? instructions() * nsPerInstruction + _skipped
        : (ulong)(_sw.Elapsed.Ticks * 100) + _skipped;

    /// <summary>Moves time forward to at least <paramref name="ns"/> (idle skip).</summary>
    public void AdvanceTo(ulong ns)
    {
        ulong now = NowNs;
        if (ns > now) _skipped += ns - now;
    }
}
