using Microsoft.Extensions.Options;
using Platform.Web.Features.Autograding;

namespace Platform.Web.Tests.Features.Autograding;

public sealed class AutogradeSlotsTests
{
    [Fact]
    public async Task TakeAsync_OverTheLimit_WaitsForAFreeSlot()
    {
        using var slots = new AutogradeSlots(Options.Create(new AutogradeOptions { MaxParallelRuns = 2 }));
        var first = await slots.TakeAsync(CancellationToken.None);
        using var second = await slots.TakeAsync(CancellationToken.None);

        var third = slots.TakeAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.False(third.IsCompleted);
        Assert.Equal(2, slots.Running);

        first.Dispose();
        first.Dispose(); // a second dispose frees nothing more
        using var got = await third.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, slots.Running);
    }

    [Fact]
    public async Task TakeAsync_Cancelled_GivesUpWithoutTakingASlot()
    {
        using var slots = new AutogradeSlots(Options.Create(new AutogradeOptions { MaxParallelRuns = 1 }));
        using var only = await slots.TakeAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slots.TakeAsync(cancel.Token));
        Assert.Equal(1, slots.Running);
    }
}
