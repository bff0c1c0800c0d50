using Vm.Client.Engine;

namespace Vm.Client.Tests.Engine;

public sealed class SliceTunerTests
{
    [Fact]
    public void Observe_FastGuest_SlicesGrowTowardTheTargetTime()
    {
        var tuner = new SliceTuner(targetMilliseconds: 20);
        // 50 M instructions/s: 20 ms is 1 M instructions.
        for (int i = 0; i < 20; i++) tuner.Observe(tuner.Instructions, tuner.Instructions / 50_000.0);
        Assert.InRange(tuner.Instructions, 900_000, 1_100_000);
        Assert.InRange(tuner.InstructionsPerSecond, 45e6, 55e6);
    }

    [Fact]
    public void Observe_SlowGuest_SlicesShrinkButNotBelowTheMinimum()
    {
        var tuner = new SliceTuner(targetMilliseconds: 20);
        for (int i = 0; i < 30; i++) tuner.Observe(tuner.Instructions, tuner.Instructions / 100.0); // 100 k/s
        Assert.Equal(SliceTuner.Min, tuner.Instructions);
    }

    [Fact]
    public void Observe_IdleOrInstantSlice_ChangesNothing()
    {
        var tuner = new SliceTuner();
        var before = tuner.Instructions;
        tuner.Observe(0, 10);
        tuner.Observe(5000, 0.1);
        Assert.Equal(before, tuner.Instructions);
        Assert.Equal(0, tuner.InstructionsPerSecond);
    }
}
