using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Jobs;
using Platform.Web.Seeding;
using Platform.Web.Tenancy;

namespace Platform.Web.Tailnet.Tests.Infrastructure;

/// <summary>
/// The whole portal over a TestServer with its own data folder (a fresh SQLite database per test
/// class, seeded with the demo school). Hangfire's client is replaced by one that only records, so a
/// test runs the queued jobs itself (<see cref="RunQueuedJobsAsync"/>), in order, and sees what they throw.
/// Every log line the portal writes, at every level, is kept in <see cref="Logs"/>.
/// </summary>
public sealed partial class TailnetPortalFactory : WebApplicationFactory<Program>
{
    public const string Password = "correct-horse-battery";
    public const string Demo = DemoSeeder.DemoTenant;
    public const string Other = "other-school";

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "webvm-tailnet-tests", Guid.NewGuid().ToString("N"));
    public ConcurrentQueue<string> Logs { get; } = new();
    public RecordingJobClient Jobs { get; } = new();

    protected override IHost CreateHost(IHostBuilder builder)
    {
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:DataDirectory"] = DataDirectory,
            ["Platform:SeedDemo"] = "true",
            ["Platform:DemoPassword"] = Password,
            ["Logging:LogLevel:Default"] = "Trace",
            ["Tailnets:RequestTimeout"] = "00:00:03",
            ["Tailnets:RetryAttempts"] = "2",
            ["Tailnets:RetryDelay"] = "00:00:00.020",
        }));
        return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureLogging(logging => logging.AddProvider(new CapturingLoggerProvider(Logs)));
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IBackgroundJobClient>();
            services.AddSingleton<IBackgroundJobClient>(Jobs);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    // ---- Jobs ------------------------------------------------------------------------------------

    /// <summary>Runs every job queued so far (and those they queue), as Hangfire would; the first failure propagates.</summary>
    public async Task RunQueuedJobsAsync(Guid? onlyTenant = null)
    {
        while (Jobs.TryDequeue(out var intentId))
        {
            if (onlyTenant is { } tenantId && await WithDbAsync(db => db.JobIntents.AnyAsync(j => j.Id == intentId && j.TenantId != tenantId)))
                continue; // Another test's school: not this test's business.
            await using var scope = Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<JobRunner>().RunAsync(intentId, CancellationToken.None);
        }
    }

    /// <summary>Runs one intent again, as a Hangfire retry does.</summary>
    public async Task RetryAsync(Guid intentId)
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<JobRunner>().RunAsync(intentId, CancellationToken.None);
    }

    // ---- Acting as someone --------------------------------------------------------------------------

    /// <summary>Runs <paramref name="action"/> in a request scope of <paramref name="tenant"/>, signed in as <paramref name="email"/> of <paramref name="accountTenant"/> (default: the same school).</summary>
    public async Task<T> AsAsync<T>(string tenant, string? email, Func<IServiceProvider, Task<T>> action, string? accountTenant = null)
    {
        await using var scope = Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        if (!await services.GetRequiredService<RequestTenant>().SelectAsync(tenant, CancellationToken.None))
            throw new InvalidOperationException($"No tenant '{tenant}'.");
        var principal = new ClaimsPrincipal(new ClaimsIdentity());
        if (email is not null)
        {
            var account = await WithDbAsync(db => db.Users.IgnoreQueryFilters().AsNoTracking().SingleAsync(u => u.Email == email && u.TenantId == db.Tenants.Single(t => t.Slug == (accountTenant ?? tenant)).Id));
            principal = await services.GetRequiredService<IUserClaimsPrincipalFactory<PlatformUser>>().CreateAsync(account);
        }
        services.GetRequiredService<IHttpContextAccessor>().HttpContext = new DefaultHttpContext { User = principal, RequestServices = services };
        return await action(services);
    }

    public Task AsAsync(string tenant, string? email, Func<IServiceProvider, Task> action) =>
        AsAsync<bool>(tenant, email, async s => { await action(s); return true; });

    public async Task<T> WithDbAsync<T>(Func<PlatformDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        return await action(db);
    }

    public Task WithDbAsync(Func<PlatformDbContext, Task> action) => WithDbAsync<bool>(async db => { await action(db); return true; });

    /// <summary>A new person at <paramref name="tenant"/>, optionally enrolled in a course (and cohort).</summary>
    public async Task<PlatformUser> CreateUserAsync(string tenant, bool tenantAdmin = false, Guid? courseId = null, CourseRole role = CourseRole.Student, Guid? cohortId = null)
    {
        var email = $"{Guid.NewGuid():N}@{tenant}.test";
        await using var scope = Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var selected = services.GetRequiredService<RequestTenant>();
        if (!await selected.SelectAsync(tenant, CancellationToken.None))
            throw new InvalidOperationException($"No tenant '{tenant}'.");
        var account = new PlatformUser { TenantId = selected.TenantId, UserName = email, Email = email, DisplayName = "Person " + email[..6], EmailConfirmed = true, IsTenantAdmin = tenantAdmin };
        var result = await services.GetRequiredService<UserManager<PlatformUser>>().CreateAsync(account, Password);
        if (!result.Succeeded)
            throw new InvalidOperationException(string.Join(" ", result.Errors.Select(e => e.Description)));
        if (courseId is { } id)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
            var course = await db.Courses.SingleAsync(c => c.Id == id);
            var cohort = cohortId is { } c ? await db.Cohorts.SingleAsync(x => x.Id == c) : null;
            db.Enrollments.Add(new Enrollment(course, account.Id, role, cohort));
            await db.SaveChangesAsync();
        }
        return account;
    }

    /// <summary>A new school with one course of two cohorts, made once per factory.</summary>
    public async Task<School> SchoolAsync(string slug)
    {
        var existing = await WithDbAsync(db => db.Tenants.SingleOrDefaultAsync(t => t.Slug == slug));
        if (existing is null)
        {
            await WithDbAsync(async db =>
            {
                var tenant = new Tenant(slug, "School " + slug);
                db.Tenants.Add(tenant);
                var course = new Course(tenant.Id, "NET101", "Networks");
                db.Courses.Add(course);
                db.Cohorts.Add(new Cohort(course, "Red"));
                db.Cohorts.Add(new Cohort(course, "Blue"));
                await db.SaveChangesAsync();
            });
        }
        return await WithDbAsync(async db =>
        {
            var tenant = await db.Tenants.SingleAsync(t => t.Slug == slug);
            var course = await db.Courses.IgnoreQueryFilters().OrderBy(c => c.Code).FirstAsync(c => c.TenantId == tenant.Id);
            var cohorts = await db.Cohorts.IgnoreQueryFilters().Where(c => c.CourseId == course.Id).OrderBy(c => c.Name).Select(c => c.Id).ToListAsync();
            var assignment = await db.Assignments.IgnoreQueryFilters().Where(a => a.CourseId == course.Id).Select(a => (Guid?)a.Id).FirstOrDefaultAsync();
            if (assignment is null)
            {
                var a = new Assignment(course, "lab-1", "Lab 1", DateTimeOffset.UtcNow.AddDays(7), 10);
                db.Assignments.Add(a);
                await db.SaveChangesAsync();
                assignment = a.Id;
            }
            return new School(tenant.Id, slug, course.Id, cohorts, assignment.Value);
        });
    }

    // ---- HTTP, signed in through the real login form ---------------------------------------------------

    public async Task<(HttpClient Client, CookieContainer Cookies)> SignInAsync(string tenant, string email)
    {
        var cookies = new CookieContainer();
        var client = CreateDefaultClient(new Uri("http://localhost/"), new CookieContainerHandler(cookies));
        var loginPath = $"t/{tenant}/account/login";
        var token = await TokenAsync(client, loginPath);
        var response = await client.PostAsync(loginPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = Password,
        }));
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Sign-in of {email} failed: {(int)response.StatusCode}");
        return (client, cookies);
    }

    public static async Task<string> TokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(path);
        var input = AntiforgeryInput().Match(html);
        if (!input.Success)
            throw new InvalidOperationException($"No antiforgery token on {path}");
        return WebUtility.HtmlDecode(ValueAttribute().Match(input.Value).Groups[1].Value);
    }

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*>")]
    private static partial Regex AntiforgeryInput();

    [GeneratedRegex("value=\"([^\"]*)\"")]
    private static partial Regex ValueAttribute();
}

public sealed record School(Guid TenantId, string Slug, Guid CourseId, IReadOnlyList<Guid> Cohorts, Guid AssignmentId);

/// <summary>Stands in for Hangfire's client: records each JobRunner call's intent id instead of running it.</summary>
public sealed class RecordingJobClient : IBackgroundJobClient
{
    private readonly ConcurrentQueue<Guid> _queued = new();

    public bool TryDequeue(out Guid intentId) => _queued.TryDequeue(out intentId);

    /// <summary>Forgets what earlier tests queued and did not run.</summary>
    public void Clear() => _queued.Clear();

    public string Create(Job job, IState state)
    {
        if (job.Type == typeof(JobRunner) && job.Args.Count > 0 && job.Args[0] is Guid id)
            _queued.Enqueue(id);
        return Guid.NewGuid().ToString();
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => true;
}

internal sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, sink);

    public void Dispose() { }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            sink.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {structured} {exception}");
        }
    }
}
