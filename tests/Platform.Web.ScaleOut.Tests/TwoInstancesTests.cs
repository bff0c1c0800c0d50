using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Web.Tenancy;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>Two portal instances behind one (imagined) load balancer, on a real PostgreSQL and Redis.</summary>
public sealed partial class TwoInstancesTests : IAsyncLifetime
{
    private PortalInstance _first = null!;
    private PortalInstance _second = null!;
    private string _dataDirectory = null!;

    public async Task InitializeAsync()
    {
        var database = await SharedServices.NewDatabaseAsync();
        _dataDirectory = Directory.CreateTempSubdirectory("webvm-scaleout-").FullName;
        _first = new PortalInstance(database, _dataDirectory, SharedServices.Redis);
        _second = new PortalInstance(database, _dataDirectory, SharedServices.Redis);
        _first.CreateClient().Dispose(); // starts it: migrates PostgreSQL and seeds the demo school
        _second.CreateClient().Dispose();
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Postgres_FreshDatabase_IsMigratedAndSeededOnce()
    {
        await using var scope = _second.Services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<RequestTenant>();
        Assert.True(await tenant.SelectAsync("demo", CancellationToken.None));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();

        Assert.Equal("Npgsql.EntityFrameworkCore.PostgreSQL", db.Database.ProviderName);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(1, await db.Tenants.CountAsync());
        Assert.Equal(["LINUX101"], await db.Courses.Select(c => c.Code).ToListAsync());
    }

    [Fact]
    public async Task Session_SignedInOnOneInstance_IsValidOnTheOther()
    {
        var (_, cookie) = await _first.SignInAsync("teacher@demo.test");
        using var other = _second.CreateClient(new() { AllowAutoRedirect = false });
        other.DefaultRequestHeaders.Add("Cookie", cookie);

        var response = await other.GetAsync("/t/demo/courses");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Introduction to Linux", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Submission_SentToOneInstance_ReachesGraderConnectedToTheOther()
    {
        var (student, _) = await _first.SignInAsync("student@demo.test");
        var (_, graderCookie) = await _second.SignInAsync("grader@demo.test");
        var assignmentId = await FirstAssignmentIdAsync(student);

        var received = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var grader = new HubConnectionBuilder()
            .WithUrl(new Uri(_second.Server.BaseAddress, "t/demo/hubs/submissions"), options =>
            {
                options.HttpMessageHandlerFactory = _ => _second.Server.CreateHandler();
                options.Transports = HttpTransportType.LongPolling;
                options.Headers["Cookie"] = graderCookie;
            })
            .Build();
        grader.On<Guid, Guid>("SubmissionReceived", (_, submissionId) => received.TrySetResult(submissionId));
        await grader.StartAsync();
        await grader.InvokeAsync("WatchAssignment", assignmentId);

        var page = await student.GetStringAsync($"/t/demo/assignments/{assignmentId}");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(PortalInstance.AntiforgeryToken(page)), "__RequestVerificationToken" },
            { new StringContent("scale-out-1"), "clientSubmissionId" },
            { new ByteArrayContent("one\ntwo\nthree\n"u8.ToArray()), "files", "todo.txt" },
        };
        var submit = await student.PostAsync($"/t/demo/assignments/{assignmentId}/submit", form);
        Assert.Contains("submitted=1", submit.Headers.Location?.ToString());

        var submissionId = await received.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await using var scope = _second.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RequestTenant>().SelectAsync("demo", CancellationToken.None);
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var stored = await db.Submissions.Include(s => s.Files).SingleAsync(s => s.Id == submissionId);
        Assert.Equal("todo.txt", stored.Files.Single().Path);
    }

    [Fact]
    public async Task SameStudent_SubmissionsAtOnceThroughBothInstances_EachLandsWithItsOwnVersion()
    {
        var (onFirst, _) = await _first.SignInAsync("linus@demo.test");
        var (onSecond, _) = await _second.SignInAsync("linus@demo.test");
        var assignmentId = await FirstAssignmentIdAsync(onFirst);
        var tokens = (await FormTokenAsync(onFirst, assignmentId), await FormTokenAsync(onSecond, assignmentId));

        // Two lab tabs and the form, all at once: each new submission takes the next version number.
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
        {
            var (client, token) = i % 2 == 0 ? (onFirst, tokens.Item1) : (onSecond, tokens.Item2);
            var form = new MultipartFormDataContent
            {
                { new StringContent(token), "__RequestVerificationToken" },
                { new StringContent($"at-once-{i}"), "clientSubmissionId" },
                { new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($"attempt {i}\n")), "files", "work.txt" },
            };
            return client.PostAsync($"/t/demo/assignments/{assignmentId}/submit", form);
        }));

        Assert.All(responses, r => Assert.Contains("submitted=", r.Headers.Location?.ToString()));
        await using var scope = _second.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RequestTenant>().SelectAsync("demo", CancellationToken.None);
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var versions = await db.Submissions.Where(s => s.ClientSubmissionId.StartsWith("at-once-")).Select(s => s.Version).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 8), versions.Order());
    }

    private static async Task<string> FormTokenAsync(HttpClient client, Guid assignmentId) =>
        PortalInstance.AntiforgeryToken(await client.GetStringAsync($"/t/demo/assignments/{assignmentId}"));

    private static async Task<Guid> FirstAssignmentIdAsync(HttpClient client)
    {
        var dashboard = await client.GetStringAsync("/t/demo/");
        return Guid.Parse(AssignmentLink().Match(dashboard).Groups[1].Value);
    }

    [GeneratedRegex("href=\"assignments/([0-9a-f-]{36})\"")]
    private static partial Regex AssignmentLink();
}
