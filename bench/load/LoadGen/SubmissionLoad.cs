using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace LoadGen;

/// <summary>
/// Every student of the class hands in 1 MiB at the same moment: through the lab's SignalR hub
/// (Begin, one 1 MiB chunk, Complete, over WebSockets), and, as the reference, through the plain
/// upload form (one multipart POST). Each student's latency runs from the start signal to the receipt.
/// </summary>
public static class SubmissionLoad
{
    public sealed record Result(int Students, double Seconds, Latencies Latencies, int Drops = 0)
    {
        public double PerSecond => Latencies.Count / Seconds;
    }

    private sealed record Manifest(string Path, long Size, string Sha256);
    private sealed record State(Guid UploadId, IReadOnlyList<long> ReceivedBytes, object? Receipt);

    public static async Task<Result> HubAsync(Uri portal, Guid assignmentId, IReadOnlyList<string> cookies, string runId)
    {
        var connections = new HubConnection[cookies.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, cookies.Count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            connections[i] = Connect(portal, cookies[i]);
            await connections[i].StartAsync(ct);
        });
        Console.Error.WriteLine($"load: {cookies.Count} hub connections open");
        var contents = cookies.Select(_ => RandomNumberGenerator.GetBytes(1 << 20)).ToArray();
        var latencies = new Latencies();
        var drops = 0;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var uploads = Enumerable.Range(0, cookies.Count).Select(async i =>
        {
            await start.Task;
            var started = Stopwatch.GetTimestamp();
            var manifest = new List<Manifest> { new("work.tar", contents[i].Length, Convert.ToHexStringLower(SHA256.HashData(contents[i]))) };
            // As the lab client does after a dropped connection: connect again, begin with the same id,
            // send what the portal does not hold, complete. A drop costs time, never the submission.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var hub = connections[i];
                    if (hub.State != HubConnectionState.Connected)
                    {
                        await hub.DisposeAsync();
                        hub = connections[i] = Connect(portal, cookies[i]);
                        await hub.StartAsync();
                    }
                    var state = await hub.InvokeAsync<State>("BeginSubmission", assignmentId, $"{runId}-hub-{i}", manifest);
                    if (state.Receipt is null)
                    {
                        if (state.ReceivedBytes[0] < contents[i].Length)
                            await hub.InvokeAsync<long>("UploadChunk", state.UploadId, 0, 0L, contents[i]);
                        await hub.InvokeAsync<object>("CompleteSubmission", state.UploadId);
                    }
                    latencies.Add(Stopwatch.GetElapsedTime(started));
                    return;
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref drops);
                    if (attempt == 4)
                    {
                        latencies.Error();
                        Console.Error.WriteLine($"load: hub upload {i} gave up after {attempt} attempts: {e.Message}");
                        return;
                    }
                }
            }
        }).ToList();
        var clock = Stopwatch.StartNew();
        start.SetResult();
        await Task.WhenAll(uploads).WaitAsync(TimeSpan.FromMinutes(3));
        var seconds = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
        return new Result(cookies.Count, seconds, latencies, drops);
    }

    private static HubConnection Connect(Uri portal, string cookie) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(portal, "t/demo/hubs/submissions"), o => { o.Transports = HttpTransportType.WebSockets; o.Headers["Cookie"] = cookie; })
            .Build();

    public static async Task<Result> FormAsync(HttpClient client, Guid assignmentId, IReadOnlyList<string> cookies, string runId)
    {
        // The form's antiforgery token (and the cookie it pairs with) belongs to the student's session: fetched first, untimed.
        var tokens = new string[cookies.Count];
        var formCookies = new string[cookies.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, cookies.Count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"t/demo/assignments/{assignmentId}");
            request.Headers.Add("Cookie", cookies[i]);
            using var response = await client.SendAsync(request, ct);
            tokens[i] = ClassRoster.Token(await response.Content.ReadAsStringAsync(ct));
            var antiforgery = response.Headers.TryGetValues("Set-Cookie", out var set) ? set.Select(c => c.Split(';')[0]) : [];
            formCookies[i] = string.Join("; ", antiforgery.Prepend(cookies[i]));
        });
        var contents = cookies.Select(_ => RandomNumberGenerator.GetBytes(1 << 20)).ToArray();
        var latencies = new Latencies();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var uploads = Enumerable.Range(0, cookies.Count).Select(async i =>
        {
            await start.Task;
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"t/demo/assignments/{assignmentId}/submit")
                {
                    Content = new MultipartFormDataContent
                    {
                        { new StringContent(tokens[i]), "__RequestVerificationToken" },
                        { new StringContent($"{runId}-form-{i}"), "clientSubmissionId" },
                        { new ByteArrayContent(contents[i]), "files", "work.tar" },
                    },
                };
                request.Headers.Add("Cookie", formCookies[i]);
                using var response = await client.SendAsync(request);
                if (response.Headers.Location?.ToString().Contains("submitted=", StringComparison.Ordinal) == true)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started));
                }
                else
                {
                    latencies.Error();
                    if (latencies.Errors == 1)
                        Console.Error.WriteLine($"load: form upload {i} answered {(int)response.StatusCode} {response.Headers.Location}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                latencies.Error();
            }
        }).ToList();
        var clock = Stopwatch.StartNew();
        start.SetResult();
        await Task.WhenAll(uploads).WaitAsync(TimeSpan.FromMinutes(3));
        return new Result(cookies.Count, clock.Elapsed.TotalSeconds, latencies);
    }
}
