using System.Diagnostics;

namespace LoadGen;

/// <summary>
/// Lab machines booting at once: each boot fetches chunks one after another (a guest reading its disk
/// on demand), in its own random order, from the same image.
/// </summary>
public static class ChunkLoad
{
    public sealed record Result(double Seconds, long Bytes, Latencies Latencies)
    {
        public double MegabytesPerSecond => Bytes / (1024.0 * 1024.0) / Seconds;
    }

    public static async Task<Result> RunAsync(HttpClient client, IReadOnlyList<string> hashes, int boots, int chunksPerBoot)
    {
        var latencies = new Latencies();
        long bytes = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, boots).Select(async boot =>
        {
            var random = new Random(boot);
            for (var i = 0; i < chunksPerBoot; i++)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var chunk = await client.GetByteArrayAsync($"chunks/{hashes[random.Next(hashes.Count)]}");
                    Interlocked.Add(ref bytes, chunk.Length);
                    latencies.Add(Stopwatch.GetElapsedTime(started));
                }
                catch (HttpRequestException)
                {
                    latencies.Error();
                }
            }
        }));
        return new Result(clock.Elapsed.TotalSeconds, bytes, latencies);
    }
}
