using System.Net;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Web.Security;
using Platform.Web.Tenancy;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>
/// Rate limits with two instances behind the proxy: the budget is one per caller, counted in Redis,
/// not one per instance; with Redis gone each instance still limits on its own, and sharing resumes.
/// Each test has a Redis of its own, so no other test's attempts count against it.
/// </summary>
public sealed class SharedRateLimitTests
{
    [Fact]
    public async Task SignIns_AlternatingBetweenTwoInstances_ShareOneBudget()
    {
        using var redis = await PrivateRedis.StartAsync();
        await using var pair = await PairAsync(redis, new() { ["RateLimits:SignInsPerMinute"] = "4" });
        await WaitForAFreshMinuteAsync();

        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 6; attempt++)
            statuses.Add(await WrongPasswordAsync(attempt % 2 == 0 ? pair.First : pair.Second));

        // Two guesses on each instance would be within a per-process limit of 4: only the shared count refuses the fifth.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK,
            HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task HubSubmissions_AlternatingBetweenTwoInstances_ShareOneBudget()
    {
        using var redis = await PrivateRedis.StartAsync();
        await using var pair = await PairAsync(redis, new() { ["RateLimits:SubmissionsPerMinute"] = "2" });
        var (_, cookie) = await pair.First.SignInAsync("ada@demo.test");
        var assignmentId = await AssignmentIdAsync(pair.First);
        await using var onFirst = await HubSession.ConnectAsync(pair.First, cookie);
        await using var onSecond = await HubSession.ConnectAsync(pair.Second, cookie);
        await WaitForAFreshMinuteAsync();

        await BeginAsync(onFirst, assignmentId, "hub-limit-1");
        await BeginAsync(onSecond, assignmentId, "hub-limit-2");
        var refused = await Assert.ThrowsAsync<HubException>(() => BeginAsync(onFirst, assignmentId, "hub-limit-3"));

        Assert.Contains("Too many attempts", refused.Message);
    }

    [Fact]
    public async Task FormSubmissions_RedisKilled_EachInstanceLimitsAloneThenSharingResumes()
    {
        using var redis = await PrivateRedis.StartAsync();
        await using var pair = await PairAsync(redis, new() { ["RateLimits:SubmissionsPerMinute"] = "3" });
        var (adaFirst, _) = await pair.First.SignInAsync("ada@demo.test");
        var (adaSecond, _) = await pair.Second.SignInAsync("ada@demo.test");
        var (linusFirst, _) = await pair.First.SignInAsync("linus@demo.test");
        var (linusSecond, _) = await pair.Second.SignInAsync("linus@demo.test");
        var assignmentId = await AssignmentIdAsync(pair.First);
        await WaitForAFreshMinuteAsync();

        // Redis dies: no errors, and each instance still holds its own limit of 3 (a budget per instance, not none).
        await redis.KillAsync();
        var down = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 4; attempt++)
            down.Add(await SubmitAsync(adaFirst, assignmentId, $"down-first-{attempt}"));
        down.Add(await SubmitAsync(adaSecond, assignmentId, "down-second"));
        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests, HttpStatusCode.Redirect], down);

        // Redis is back (empty): once both instances have reconnected, one budget again.
        await redis.RestartAsync();
        await WaitUntilSharedAsync(pair.First);
        await WaitUntilSharedAsync(pair.Second);
        var up = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 4; attempt++)
            up.Add(await SubmitAsync(attempt % 2 == 0 ? linusFirst : linusSecond, assignmentId, $"up-{attempt}"));
        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests], up);

        // Exactly the accepted submissions were stored; the refused ones left nothing.
        var stored = await WithDbAsync(pair.First, db => db.Submissions.CountAsync(s => s.AssignmentId == assignmentId));
        Assert.Equal(4 + 3, stored);
    }

    private sealed class Pair(PortalInstance first, PortalInstance second, string data) : IAsyncDisposable
    {
        public PortalInstance First => first;
        public PortalInstance Second => second;

        public async ValueTask DisposeAsync()
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<Pair> PairAsync(PrivateRedis redis, Dictionary<string, string> limits)
    {
        var database = await SharedServices.NewDatabaseAsync();
        var data = Directory.CreateTempSubdirectory("webvm-limits-").FullName;
        var first = new PortalInstance(database, data, redis.Configuration, limits);
        var second = new PortalInstance(database, data, redis.Configuration, limits);
        first.CreateClient().Dispose(); // migrates and seeds before the second starts
        second.CreateClient().Dispose();
        await WaitUntilSharedAsync(first);
        await WaitUntilSharedAsync(second);
        return new Pair(first, second, data);
    }

    /// <summary>The counters are per minute: start a test's attempts well inside one, so they all land in the same window.</summary>
    private static async Task WaitForAFreshMinuteAsync()
    {
        var now = DateTimeOffset.UtcNow;
        if (now.Second >= 40)
            await Task.Delay(TimeSpan.FromSeconds(60 - now.Second) - TimeSpan.FromMilliseconds(now.Millisecond) + TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Until the instance's counter answers from Redis (it reconnects in the background after an outage).</summary>
    private static async Task WaitUntilSharedAsync(PortalInstance instance)
    {
        var counter = instance.Services.GetRequiredService<SharedRateLimitCounter>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await counter.TryAcquireAsync("probe:" + Guid.NewGuid(), 1)).Verdict != SharedVerdict.Allowed)
        {
            Assert.True(DateTime.UtcNow < until, "The instance did not reconnect to Redis within 30 s.");
            await Task.Delay(200);
        }
    }

    private static async Task<HttpStatusCode> WrongPasswordAsync(PortalInstance instance)
    {
        using var client = instance.CreateClient(new() { AllowAutoRedirect = false });
        var form = await client.GetStringAsync("/t/demo/account/login");
        var response = await client.PostAsync("/t/demo/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = PortalInstance.AntiforgeryToken(form),
            ["Input.Email"] = "teacher@demo.test",
            ["Input.Password"] = "not-the-password",
        }));
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> SubmitAsync(HttpClient student, Guid assignmentId, string clientId)
    {
        var page = await student.GetStringAsync($"/t/demo/assignments/{assignmentId}");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(PortalInstance.AntiforgeryToken(page)), "__RequestVerificationToken" },
            { new StringContent(clientId), "clientSubmissionId" },
            { new ByteArrayContent("work\n"u8.ToArray()), "files", "work.txt" },
        };
        return (await student.PostAsync($"/t/demo/assignments/{assignmentId}/submit", form)).StatusCode;
    }

    private static Task BeginAsync(HubConnection hub, Guid assignmentId, string clientId) =>
        hub.InvokeAsync<object>("BeginSubmission", assignmentId, clientId, new[] { new { path = "a.txt", size = 1L, sha256 = new string('0', 64) } });

    private static async Task<Guid> AssignmentIdAsync(PortalInstance instance) =>
        await WithDbAsync(instance, db => db.Assignments.OrderBy(a => a.Slug).Select(a => a.Id).FirstAsync());

    private static async Task<T> WithDbAsync<T>(PortalInstance instance, Func<PlatformDbContext, Task<T>> query)
    {
        await using var scope = instance.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RequestTenant>().SelectAsync("demo", CancellationToken.None);
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        return await query(db);
    }
}
