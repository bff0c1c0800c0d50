using Microsoft.Extensions.Options;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// How many lab machines this instance runs at once. Hangfire may start more autograde jobs than
/// that (its workers serve every kind of job); the extra ones wait here for a slot.
/// </summary>
public sealed class AutogradeSlots(IOptions<AutogradeOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.MaxParallelRuns));
    private int _running;

    public int Running => Volatile.Read(ref _running);

    public async Task<IDisposable> TakeAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        Interlocked.Increment(ref _running);
        return new Slot(this);
    }

    private sealed class Slot(AutogradeSlots owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref owner._running);
                owner._slots.Release();
            }
        }
    }

    public void Dispose() => _slots.Dispose();
}
