using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>
/// PostgreSQL crashes and comes back while students are handing in work through a real portal
/// process. Students whose hand-in failed press the button again (the form keeps its submission id);
/// afterwards every submission is there exactly once, and the same process serves on without a restart.
/// </summary>
public sealed partial class DatabaseRestartTests
{
    private const int Workers = 6;
    private static readonly string[] Students = ["student@demo.test", "ada@demo.test", "linus@demo.test"];

    [Fact]
    public async Task Submissions_DatabaseRestartedUnderLoad_NoneLostNoneDoubledPortalRecovers()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        var data = Directory.CreateTempSubdirectory("webvm-dbrestart-").FullName;
        var portal = await PortalProcess.StartAsync(postgres.ConnectionString, data, redis: null);
        try
        {
            var assignmentId = await Sql.FirstAssignmentIdAsync(postgres.ConnectionString);
            var clients = new List<(HttpClient Client, string Token)>();
            foreach (var email in Students)
            {
                var client = portal.CreateClient();
                client.DefaultRequestHeaders.Add("Cookie", await portal.SignInAsync(email));
                clients.Add((client, PortalInstance.AntiforgeryToken(await client.GetStringAsync($"t/demo/assignments/{assignmentId}"))));
            }

            var landed = 0;
            var failures = new ConcurrentBag<string>();
            var handedIn = new ConcurrentBag<string>();
            var spans = new ConcurrentBag<(TimeSpan Start, TimeSpan End)>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var enough = new CancellationTokenSource();

            async Task WorkAsync(int worker)
            {
                var (client, token) = clients[worker % clients.Count];
                for (var n = 0; !enough.IsCancellationRequested; n++)
                {
                    var clientId = $"db-{worker}-{n}";
                    var started = clock.Elapsed;
                    for (var attempt = 0; ; attempt++)
                    {
                        Assert.True(attempt < 200, $"{clientId} never landed; failures: {string.Join(" | ", failures.Take(5))}");
                        if (await SubmitAsync(client, token, assignmentId, clientId) is { } failure)
                        {
                            failures.Add(failure);
                            await Task.Delay(250);
                            continue;
                        }
                        handedIn.Add(clientId);
                        spans.Add((started, clock.Elapsed));
                        Interlocked.Increment(ref landed);
                        break;
                    }
                }
            }

            var work = Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkAsync(w))).ToArray();
            // Work flows, the database crashes under it and stays down a few seconds, comes back, and work flows again.
            while (Volatile.Read(ref landed) < Workers * 2)
                await Task.Delay(20);
            var down = clock.Elapsed;
            await postgres.StopServerAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await postgres.StartServerAsync();
            var up = clock.Elapsed;
            var afterRestart = Volatile.Read(ref landed);
            while (Volatile.Read(ref landed) < afterRestart + Workers * 3)
                await Task.Delay(20).WaitAsync(TimeSpan.FromSeconds(90));
            enough.Cancel();
            await Task.WhenAll(work).WaitAsync(TimeSpan.FromMinutes(3));

            // The crash did meet the load: hand-ins were under way while the database was gone (the
            // portal's EF Core retries carry a short outage; a longer one fails the press, and the
            // student's next press with the same form lands).
            Assert.Contains(spans, s => s.Start < up && s.End > down);
            Assert.False(portal.HasExited, "The portal died with its database");
            var stored = await Sql.RowsAsync(postgres.ConnectionString,
                "SELECT \"ClientSubmissionId\", COUNT(*) FROM \"Submissions\" WHERE \"ClientSubmissionId\" LIKE 'db-%' GROUP BY \"ClientSubmissionId\"",
                r => (ClientId: r.GetString(0), Count: r.GetInt64(1)));
            Assert.Equal(handedIn.Order(), stored.Select(s => s.ClientId).Order());
            Assert.All(stored, s => Assert.Equal(1, s.Count));
            // Versions per student run 1..n with no gap and no repeat: no row was half-written or lost.
            var versions = await Sql.RowsAsync(postgres.ConnectionString,
                "SELECT \"StudentId\", array_agg(\"Version\" ORDER BY \"Version\") FROM \"Submissions\" GROUP BY \"StudentId\"",
                r => (int[])r.GetValue(1));
            Assert.All(versions, v => Assert.Equal(Enumerable.Range(1, v.Length), v));
        }
        finally
        {
            await portal.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>One press of the hand-in button; null when it landed, else what the student saw.</summary>
    private static async Task<string?> SubmitAsync(HttpClient client, string token, Guid assignmentId, string clientId)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent(clientId), "clientSubmissionId" },
            { new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($"work of {clientId}\n")), "files", "work.txt" },
        };
        try
        {
            var response = await client.PostAsync($"t/demo/assignments/{assignmentId}/submit", form);
            var location = response.Headers.Location?.ToString() ?? "";
            if (response.StatusCode == HttpStatusCode.Redirect && location.Contains("submitted=", StringComparison.Ordinal))
                return null;
            return $"{(int)response.StatusCode} {location} {Title().Match(await response.Content.ReadAsStringAsync()).Value}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }

    [GeneratedRegex("<h1>[^<]*</h1>")]
    private static partial Regex Title();
}
