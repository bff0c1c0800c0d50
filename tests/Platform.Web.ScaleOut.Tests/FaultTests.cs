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

/// <summary>What breaks in a real deployment: an instance dies, Redis goes away.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task Upload_InstanceKilledMidway_ResumesOnTheOtherAndLandsExactlyOnce()
    {
        var database = await SharedServices.NewDatabaseAsync();
        var data = Directory.CreateTempSubdirectory("webvm-fault-").FullName;
        var survivor = new PortalInstance(database, data, SharedServices.Redis);
        var doomed = new PortalInstance(database, data, SharedServices.Redis);
        try
        {
            survivor.CreateClient().Dispose();
            var (student, cookie) = await doomed.SignInAsync("student@demo.test");
            var assignmentId = await AssignmentIdAsync(survivor);
            var content = RandomNumberGenerator.GetBytes(3 * SubmissionUploads.MaxChunkBytes);
            var manifest = new List<UploadFileManifest> { new("data.tar", content.Length, Convert.ToHexStringLower(SHA256.HashData(content))) };
            student.Dispose();

            // Two of three chunks reach the first instance, then it dies with the connection open.
            var first = await HubSession.ConnectAsync(doomed, cookie);
            var state = await first.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "killed-1", manifest);
            for (var chunk = 0; chunk < 2; chunk++)
                await first.InvokeAsync<long>("UploadChunk", state.UploadId, 0, (long)chunk * SubmissionUploads.MaxChunkBytes, Chunk(content, chunk));
            await doomed.DisposeAsync();
            await first.DisposeAsync();

            // The client retries on the other instance with the same id and continues where the portal stands.
            await using var second = await HubSession.ConnectAsync(survivor, cookie);
            var resumed = await second.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "killed-1", manifest);
            Assert.Equal(state.UploadId, resumed.UploadId);
            Assert.Equal(2L * SubmissionUploads.MaxChunkBytes, resumed.ReceivedBytes.Single());
            await second.InvokeAsync<long>("UploadChunk", resumed.UploadId, 0, resumed.ReceivedBytes[0], Chunk(content, 2));
            var receipt = await second.InvokeAsync<SubmissionReceipt>("CompleteSubmission", resumed.UploadId);

            var stored = await SubmissionsAsync(survivor, "killed-1");
            Assert.Equal(receipt.SubmissionId, stored.Single().Id);
            Assert.Equal(manifest[0].Sha256, stored.Single().Files.Single().Sha256);
        }
        finally
        {
            await survivor.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Redis_DownThenBack_SubmissionsKeepWorkingAndLiveUpdatesRecover()
    {
        var port = FreePort();
        var database = await SharedServices.NewDatabaseAsync();
        var data = Directory.CreateTempSubdirectory("webvm-redis-").FullName;
        await using var portal = new PortalInstance(database, data, $"127.0.0.1:{port},abortConnect=false,connectTimeout=1000");
        Process? redis = null;
        try
        {
            var (student, _) = await portal.SignInAsync("student@demo.test");
            var (_, graderCookie) = await portal.SignInAsync("grader@demo.test");
            var assignmentId = await AssignmentIdAsync(portal);

            // Redis is down: live updates are unavailable (the backplane takes every hub connection), but
            // work is still handed in through the form and stored.
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using var grader = await HubSession.ConnectAsync(portal, graderCookie);
                await grader.InvokeAsync("WatchAssignment", assignmentId);
            });
            var down = await SubmitAsync(student, assignmentId, "redis-down");
            Assert.Contains("submitted=1", down.Headers.Location?.ToString());

            // Redis comes back: the same instance delivers live updates again.
            redis = Process.Start(new ProcessStartInfo("redis-server", ["--bind", "127.0.0.1", "--port", port.ToString(), "--save", "", "--appendonly", "no"])
                { RedirectStandardOutput = true })!;
            var received = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
            var watcher = await RetryAsync(async () =>
            {
                var connection = await HubSession.ConnectAsync(portal, graderCookie);
                connection.On<Guid, Guid>("SubmissionReceived", (_, id) => received.TrySetResult(id));
                await connection.InvokeAsync("WatchAssignment", assignmentId);
                return connection;
            }, TimeSpan.FromSeconds(30));
            await using var _ = watcher;
            var up = await SubmitAsync(student, assignmentId, "redis-up");
            Assert.Contains("submitted=2", up.Headers.Location?.ToString());
            var announced = await received.Task.WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal((await SubmissionsAsync(portal, "redis-up")).Single().Id, announced);
        }
        finally
        {
            redis?.Kill();
            redis?.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }

    private static byte[] Chunk(byte[] content, int index) =>
        content.AsSpan(index * SubmissionUploads.MaxChunkBytes, SubmissionUploads.MaxChunkBytes).ToArray();

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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
