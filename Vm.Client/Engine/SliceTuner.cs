namespace Vm.Client.Engine;

/// <summary>
/// Chooses how many guest instructions to run before giving the browser its thread back. The page
/// must repaint and take keys within a frame or two, while every return to the browser costs a little:
/// aim for slices of <see cref="TargetMilliseconds"/> whatever the guest's speed, which changes with the
/// code it runs and with the machine the browser is on.
/// </summary>
public sealed class SliceTuner(double targetMilliseconds = 25)
{
    public const long Min = 20_000, Max = 20_000_000;

    public double TargetMilliseconds { get; } = targetMilliseconds;
    public long Instructions { get; private set; } = 200_000;
    /// <summary>Guest instructions per second over the last busy slices (smoothed).</summary>
    public double InstructionsPerSecond { get; private set; }

    public void Observe(long ran, double milliseconds)
    {
        if (ran <= 0 || milliseconds <= 0.5) return;
        double rate = ran / (milliseconds / 1000);
        InstructionsPerSecond = InstructionsPerSecond == 0 ? rate : InstructionsPerSecond * 0.8 + rate * 0.2;
        // Only busy slices tell the speed: an idle guest returns early having run little.
        long wanted = (long)(rate * TargetMilliseconds / 1000);
        Instructions = Math.Clamp((Instructions + wanted) / 2, Min, Max);
    }
}
