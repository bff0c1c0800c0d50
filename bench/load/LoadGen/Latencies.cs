using System.Collections.Concurrent;
using System.Globalization;

namespace LoadGen;

/// <summary>Latencies of one phase, and what the phase's lines report about them.</summary>
public sealed class Latencies
{
    private readonly ConcurrentBag<double> _milliseconds = [];
    private int _errors;

    public int Count => _milliseconds.Count;
    public int Errors => _errors;

    public void Add(TimeSpan elapsed) => _milliseconds.Add(elapsed.TotalMilliseconds);
    public void Error() => Interlocked.Increment(ref _errors);

    /// <summary>The p-th percentile (nearest rank); errors count as slower than everything, so they are never hidden.</summary>
    public double Percentile(double p)
    {
        var sorted = _milliseconds.Order().ToList();
        sorted.AddRange(Enumerable.Repeat(double.PositiveInfinity, _errors));
        if (sorted.Count == 0)
            return double.NaN;
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    public static string F(double value) => double.IsFinite(value) ? value.ToString("0.0", CultureInfo.InvariantCulture) : "inf";
}
