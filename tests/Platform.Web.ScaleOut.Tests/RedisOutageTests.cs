using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Web.Features.Submissions;
using Platform.Web.Tenancy;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>Redis, the SignalR backplane, dies and comes back under a running instance.</summary>
public sealed class RedisOutageTests
{
    [Fact]
    public async Task Redis_KilledThenRestarted_SubmissionsKeepWorkingAndLiveUpdatesRecover()
    {
        var port = PortalProcess.FreePort();
        var database = await SharedServices.NewDatabaseAsync();
        var data = Directory.CreateTempSubdirectory("webvm-redis-").FullName;
        var redis = StartRedis(port);
        await using var portal = new PortalInstance(database, data, $"127.0.0.1:{port},abortConnect=false,connectTimeout=1000");
        try
        {
            var (student, _) = await portal.SignInAsync("student@demo.test");
            var (_, graderCookie) = await portal.SignInAsync("grader@demo.test");
            var assignmentId = await AssignmentIdAsync(portal);

            // Redis up: a watching grader hears of new work.
            var before = await WatchAsync(portal, graderCookie, assignmentId);
            await SubmitAsync(student, assignmentId, "redis-before");
            Assert.Equal((await SubmissionsAsync(portal, "redis-before")).Single().Id, await before.Received.WaitAsync(TimeSpan.FromSeconds(15)));
            await before.Connection.DisposeAsync();

            // Redis dies (SIGKILL): live updates are unavailable (the backplane takes every hub
            // connection), but work is still handed in and stored, with no error for the student.
            redis.Kill();
            await redis.WaitForExitAsync();
            redis.Dispose();
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                var watcher = await WatchAsync(portal, graderCookie, assignmentId);
                await watcher.Connection.DisposeAsync();
            });
            var down = await SubmitAsync(student, assignmentId, "redis-down");
            Assert.Contains("submitted=2", down.Headers.Location?.ToString());
            Assert.Single(await SubmissionsAsync(portal, "redis-down"));

            // Redis comes back on the same address: the same instance delivers live updates again.
            redis = StartRedis(port);
            var after = await RetryAsync(() => WatchAsync(portal, graderCookie, assignmentId), TimeSpan.FromSeconds(30));
            await using var _ = after.Connection;
            var up = await SubmitAsync(student, assignmentId, "redis-up");
            Assert.Contains("submitted=3", up.Headers.Location?.ToString());
            Assert.Equal((await SubmissionsAsync(portal, "redis-up")).Single().Id, await after.Received.WaitAsync(TimeSpan.FromSeconds(15)));
        }
        finally
        {
            if (!redis.HasExited)
                redis.Kill();
            redis.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }

    private static Process StartRedis(int port) =>
        Process.Start(new ProcessStartInfo("redis-server", ["--bind", "127.0.0.1", "--port", port.ToString(), "--save", "", "--appendonly", "no"])
            { RedirectStandardOutput = true })!;

    /// <summary>A grader's hub connection watching the assignment, and the id of the first submission it hears of.</summary>
    private static async Task<(HubConnection Connection, Task<Guid> Received)> WatchAsync(PortalInstance portal, string cookie, Guid assignmentId)
    {
        var received = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = await HubSession.ConnectAsync(portal, cookie);
        try
        {
            connection.On<Guid, Guid>("SubmissionReceived", (_, id) => received.TrySetResult(id));
            await connection.InvokeAsync("WatchAssignment", assignmentId);
            return (connection, received.Task);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient student, Guid assignmentId, string clientId)
    {
        var page = await student.GetStringAsync($"/t/demo/assignments/{assignmentId}");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(PortalInstance.AntiforgeryToken(page)), "__RequestVerificationToken" },
            { new StringContent(clientId), "clientSubmissionId" },
            { new ByteArrayContent("work\n"u8.ToArray()), "files", "work.txt" },
        };
        return await student.PostAsync($"/t/demo/assignments/{assignmentId}/submit", form);
    }

    private static async Task<Guid> AssignmentIdAsync(PortalInstance instance) =>
        await WithDbAsync(instance, db => db.Assignments.OrderBy(a => a.Slug).Select(a => a.Id).FirstAsync());

    private static Task<List<Platform.Data.Entities.Submission>> SubmissionsAsync(PortalInstance instance, string clientId) =>
        WithDbAsync(instance, db => db.Submissions.Include(s => s.Files).Where(s => s.ClientSubmissionId == clientId).ToListAsync());

    private static async Task<T> WithDbAsync<T>(PortalInstance instance, Func<PlatformDbContext, Task<T>> query)
    {
        await using var scope = instance.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RequestTenant>().SelectAsync("demo", CancellationToken.None);
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        return await query(db);
    }

    /// <summary>Tries until the backplane answers again (or the limit passes and the last failure surfaces).</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> action, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception) when (watch.Elapsed < limit)
            {
                await Task.Delay(500);
            }
        }
    }
}
