using System.Diagnostics;

namespace LoadGen;

/// <summary>
/// A class of N students, each opening a page every <c>think</c> seconds on average: requests arrive
/// at N/think per second whether or not earlier ones have been answered (an open loop, as a real class
/// does not wait for the server), for <c>duration</c> seconds.
/// </summary>
public static class PageLoad
{
    public sealed record Result(int ClassSize, double OfferedPerSecond, double AnsweredPerSecond, Latencies Latencies);

    public static async Task<Result> RunAsync(HttpClient client, string path, IReadOnlyList<string> cookies, int classSize, double thinkSeconds, double durationSeconds)
    {
        var rate = classSize / thinkSeconds;
        var total = (int)(rate * durationSeconds);
        var latencies = new Latencies();
        var inFlight = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        for (var sent = 0; sent < total;)
        {
            // Send every request that is due by now, then sleep a little: arrivals keep their schedule.
            var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
            for (; sent < due; sent++)
                inFlight.Add(GetAsync(client, path, cookies[Random.Shared.Next(classSize) % cookies.Count], latencies));
            await Task.Delay(2);
        }
        await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromSeconds(60));
        return new Result(classSize, rate, latencies.Count / clock.Elapsed.TotalSeconds, latencies);
    }

    private static async Task GetAsync(HttpClient client, string path, string cookie, Latencies latencies)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Cookie", cookie);
            using var response = await client.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            if (response.IsSuccessStatusCode)
                latencies.Add(Stopwatch.GetElapsedTime(started));
            else
                latencies.Error();
        }
        catch (HttpRequestException)
        {
            latencies.Error();
        }
        catch (TaskCanceledException)
        {
            latencies.Error();
        }
    }
}
