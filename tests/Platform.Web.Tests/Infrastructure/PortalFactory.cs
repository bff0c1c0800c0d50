using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Seeding;
using Platform.Web.Tenancy;

namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// The whole portal over a TestServer, with its own data folder (SQLite file, file store, staging)
/// migrated and seeded by the app itself at start. One per test class (IClassFixture): a fresh
/// database per class, and tests inside a class create the rows they assert on.
/// </summary>
public class PortalFactory : WebApplicationFactory<Program>
{
    public const string Password = "correct-horse-battery";
    public const string ServicesSecret = "test-services-secret-0123456789";
    public const string LabRedirectUri = "http://localhost/lab/signed-in";
    public const string Demo = DemoSeeder.DemoTenant;

    private readonly SemaphoreSlim _otherSchoolLock = new(1, 1);
    private OtherSchool? _otherSchool;

    /// <summary>A fresh folder unless set: set it to an existing one for a restart.</summary>
    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "webvm-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Leave the data folder behind on dispose, for a second portal to start on (a restart).</summary>
    public bool KeepData { get; init; }

    /// <summary>The portal's clock (registered as its <see cref="TimeProvider"/>).</summary>
    public TestClock Clock { get; } = new();

    /// <summary>
    /// WEBVM_TEST_DATABASE=postgres runs the suite on the PostgreSQL test server that
    /// scripts/services/start-test-services.sh starts (WEBVM_TEST_POSTGRES): one database per data
    /// folder, so a restarted portal (same folder) finds its data again. Otherwise SQLite, the default.
    /// </summary>
    public static string? PostgresServer =>
        Environment.GetEnvironmentVariable("WEBVM_TEST_DATABASE") is "postgres"
            ? Environment.GetEnvironmentVariable("WEBVM_TEST_POSTGRES")
              ?? throw new InvalidOperationException("WEBVM_TEST_DATABASE=postgres needs WEBVM_TEST_POSTGRES (scripts/services/start-test-services.sh prints it).")
            : null;

    /// <summary>Extra settings a derived factory adds (read before the app's own composition runs).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [];

    /// <summary>Extra services a derived factory registers after the app's own.</summary>
    protected virtual void ConfigureTestServices(IServiceCollection services) { }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // Host configuration is in place before Program's composition reads builder.Configuration
        // (the data folder decides the connection string there); app configuration would come too late.
        var settings = new Dictionary<string, string?>
        {
            ["Platform:DataDirectory"] = DataDirectory,
            ["Platform:SeedDemo"] = "true",
            ["Platform:DemoPassword"] = Password,
            ["OpenId:ServicesClientSecret"] = ServicesSecret,
            ["OpenId:LabRedirectUris:0"] = LabRedirectUri,
            // The suite signs in and submits many times from one address; the limits have tests of their own.
            ["RateLimits:SignInsPerMinute"] = "100000",
            ["RateLimits:SubmissionsPerMinute"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
        };
        if (PostgresServer is { } server)
        {
            settings["Platform:Database"] = "postgres";
            settings["ConnectionStrings:Platform"] = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = PostgresDatabase }.ConnectionString;
        }
        // A derived factory's settings override these.
        foreach (var (key, value) in ExtraSettings)
            settings[key] = value;
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(settings));
        var host = base.CreateHost(builder);
        Hangfire.Logging.LogProvider.SetCurrentLogProvider(new HangfireLogging(host.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            // Hashing is the slowest thing a test does (seeding, sign-ins); the tests need its result, not its cost.
            services.Configure<PasswordHasherOptions>(hasher => hasher.IterationCount = 1000);
            ConfigureTestServices(services);
        });
    }

    /// <summary>The portal's database on the PostgreSQL test server (one per data folder).</summary>
    private string PostgresDatabase =>
        "webvm_" + Path.GetFileName(DataDirectory.TrimEnd(Path.DirectorySeparatorChar)).ToLowerInvariant().Replace('-', '_');

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && !KeepData)
        {
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            DropPostgresDatabase();
        }
    }

    /// <summary>A PostgreSQL run makes hundreds of portals (~8 MB each): their databases go with their data folders.</summary>
    private void DropPostgresDatabase()
    {
        if (PostgresServer is not { } server)
            return;
        try
        {
            using var connection = new Npgsql.NpgsqlConnection(server);
            connection.Open();
            // FORCE: the stopped portal's pooled connections may still be open.
            using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{PostgresDatabase}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }
        catch (Npgsql.NpgsqlException)
        {
            // Cleanup only: a database left behind costs disk, not a test result.
        }
    }

    // ---- HTTP clients -------------------------------------------------------------------------

    /// <summary>A browser-like client: keeps its cookies, does not follow redirects (tests look at them).</summary>
    public PortalClient CreatePortalClient()
    {
        var cookies = new CookieContainer();
        var client = CreateDefaultClient(new Uri("http://localhost/"), new CookieContainerHandler(cookies));
        return new PortalClient(client, cookies);
    }

    /// <summary>Signs in through the real login form of <paramref name="tenant"/> (null: the platform's own login).</summary>
    public async Task<PortalClient> SignInAsync(string email, string? tenant = Demo, string password = Password)
    {
        var client = CreatePortalClient();
        var response = await client.PostLoginAsync(tenant, email, password);
        if (response.StatusCode != HttpStatusCode.Redirect || client.SessionCookie is null)
            throw new InvalidOperationException($"Sign-in of {email} at '{tenant}' failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return client;
    }

    // ---- Services in a scope, acting as someone -------------------------------------------------

    /// <summary>
    /// Runs <paramref name="action"/> in a DI scope of <paramref name="tenant"/> (null: no tenant) as
    /// <paramref name="email"/> (null: anonymous), with the claims the login would give that account.
    /// </summary>
    public Task<T> AsAsync<T>(string? tenant, string? email, Func<IServiceProvider, Task<T>> action) =>
        AsAsync(tenant, new Actor(email ?? "anonymous", tenant, email), action);

    /// <summary>As <paramref name="actor"/> (whose account may belong to another school) in a request for <paramref name="tenant"/>.</summary>
    public async Task<T> AsAsync<T>(string? tenant, Actor actor, Func<IServiceProvider, Task<T>> action)
    {
        var email = actor.Email;
        await using var scope = Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        if (tenant is not null && !await services.GetRequiredService<RequestTenant>().SelectAsync(tenant, CancellationToken.None))
            throw new InvalidOperationException($"No tenant '{tenant}'.");
        var principal = new ClaimsPrincipal(new ClaimsIdentity());
        if (email is not null)
        {
            var account = await FindUserAsync(email, actor.Tenant);
            principal = await services.GetRequiredService<IUserClaimsPrincipalFactory<PlatformUser>>().CreateAsync(account);
        }
        // Set here, in the flow that runs the action: an AsyncLocal set in a callee would not flow back.
        services.GetRequiredService<IHttpContextAccessor>().HttpContext = new DefaultHttpContext { User = principal, RequestServices = services };
        return await action(services);
    }

    public Task AsAsync(string? tenant, string? email, Func<IServiceProvider, Task> action) =>
        AsAsync<bool>(tenant, email, async s => { await action(s); return true; });

    public Task AsAsync(string? tenant, Actor actor, Func<IServiceProvider, Task> action) =>
        AsAsync<bool>(tenant, actor, async s => { await action(s); return true; });

    /// <summary>The session cookie of <paramref name="actor"/>, signed in once through the login form of their own school.</summary>
    public async Task<string?> SessionOfAsync(Actor actor)
    {
        if (actor.Email is null)
            return null;
        if (actor.Tenant == OtherSchool.Slug)
            await OtherSchoolAsync();
        await _otherSchoolLock.WaitAsync();
        try
        {
            if (_sessions.TryGetValue(actor.Name, out var cached))
                return cached;
        }
        finally
        {
            _otherSchoolLock.Release();
        }
        using var client = await SignInAsync(actor.Email, actor.Tenant);
        return _sessions[actor.Name] = client.SessionCookie;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> _sessions = new();

    /// <summary>
    /// A client that sends <paramref name="sessionCookie"/> to every address, like a browser that was
    /// handed a cookie for the whole site: the worst case the server must still refuse.
    /// </summary>
    public PortalClient ClientWithSession(string? sessionCookie)
    {
        var client = CreatePortalClient();
        if (sessionCookie is not null)
            client.Cookies.Add(new Cookie(PortalClient.SessionCookieName, sessionCookie, "/", "localhost"));
        return client;
    }

    /// <summary>A context that sees every tenant's rows (for arranging and asserting).</summary>
    public async Task<T> WithDbAsync<T>(Func<PlatformDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        return await action(db);
    }

    public Task WithDbAsync(Func<PlatformDbContext, Task> action) => WithDbAsync<bool>(async db => { await action(db); return true; });

    public Task<PlatformUser> FindUserAsync(string email, string? tenant = Demo) =>
        WithDbAsync(async db =>
        {
            var tenantId = tenant is null ? (Guid?)null : (await db.Tenants.SingleAsync(t => t.Slug == tenant)).Id;
            return await db.Users.IgnoreQueryFilters().AsNoTracking().SingleAsync(u => u.Email == email && u.TenantId == tenantId);
        });

    // ---- The seeded demo school ------------------------------------------------------------------

    public Task<DemoSchool> DemoAsync() =>
        WithDbAsync(async db =>
        {
            var tenant = await db.Tenants.SingleAsync(t => t.Slug == Demo);
            var course = await db.Courses.IgnoreQueryFilters().SingleAsync(c => c.TenantId == tenant.Id && c.Code == "LINUX101");
            // SQLite cannot order by DateTimeOffset: order here.
            var assignments = (await db.Assignments.IgnoreQueryFilters().Where(a => a.CourseId == course.Id).Select(a => new { a.Id, a.DueAt }).ToListAsync())
                .OrderBy(a => a.DueAt).Select(a => a.Id).ToList();
            return new DemoSchool(tenant.Id, course.Id, assignments);
        });

    /// <summary>
    /// A person of their own in a demo course, so a test's submissions and grades are its alone.
    /// </summary>
    public async Task<PlatformUser> CreateUserAsync(string tenant, Guid? courseId, CourseRole role, string? email = null, string? name = null, bool tenantAdmin = false)
    {
        email ??= $"{role.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}@{tenant}.test";
        await using var scope = Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var selected = services.GetRequiredService<RequestTenant>();
        if (!await selected.SelectAsync(tenant, CancellationToken.None))
            throw new InvalidOperationException($"No tenant '{tenant}'.");
        var account = new PlatformUser
        {
            TenantId = selected.TenantId, UserName = email, Email = email, DisplayName = name ?? email, EmailConfirmed = true, IsTenantAdmin = tenantAdmin,
        };
        var users = services.GetRequiredService<UserManager<PlatformUser>>();
        var result = await users.CreateAsync(account, Password);
        if (!result.Succeeded)
            throw new InvalidOperationException(string.Join(" ", result.Errors.Select(e => e.Description)));
        if (courseId is { } id)
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
            var course = await db.Courses.SingleAsync(c => c.Id == id);
            var cohort = role == CourseRole.Student ? await db.Cohorts.Where(c => c.CourseId == id).OrderBy(c => c.Name).FirstOrDefaultAsync() : null;
            db.Enrollments.Add(new Enrollment(course, account.Id, role, cohort));
            await db.SaveChangesAsync();
        }
        return account;
    }

    /// <summary>A fresh assignment in a course, due when the test needs it.</summary>
    public Task<Assignment> CreateAssignmentAsync(Guid courseId, DateTimeOffset? dueAt = null, int acceptDaysLate = 3, decimal penaltyPerDay = 10,
        IReadOnlyList<RubricCriterion>? rubric = null, decimal points = 10) =>
        WithDbAsync(async db =>
        {
            var course = await db.Courses.IgnoreQueryFilters().SingleAsync(c => c.Id == courseId);
            var assignment = new Assignment(course, $"test-{Guid.NewGuid():N}", "Test assignment " + Guid.NewGuid().ToString("N")[..6],
                dueAt ?? Clock.GetUtcNow().AddDays(7), points)
            {
                LatePolicy = new LatePolicy { AcceptDaysLate = acceptDaysLate, PenaltyPercentPerDay = penaltyPerDay },
                Rubric = rubric?.ToList() ?? [],
            };
            db.Assignments.Add(assignment);
            await db.SaveChangesAsync();
            return assignment;
        });

    // ---- A second school, for cross-tenant tests ---------------------------------------------------

    /// <summary>
    /// School "other" with its own course, teacher, grader, student, assignment and one submission
    /// (with a file whose content marks it as the other school's data); created once per factory.
    /// </summary>
    public async Task<OtherSchool> OtherSchoolAsync()
    {
        await _otherSchoolLock.WaitAsync();
        try
        {
            return _otherSchool ??= await CreateOtherSchoolAsync();
        }
        finally
        {
            _otherSchoolLock.Release();
        }
    }

    private async Task<OtherSchool> CreateOtherSchoolAsync()
    {
        var tenant = new Tenant(OtherSchool.Slug, "Other Academy");
        await WithDbAsync(async db => { db.Tenants.Add(tenant); await db.SaveChangesAsync(); });
        Course course = null!;
        await WithDbAsync(async db =>
        {
            course = new Course(tenant.Id, "SECRET201", "Other's secret course");
            db.Courses.Add(course);
            db.Cohorts.Add(new Cohort(course, "Only section"));
            await db.SaveChangesAsync();
        });
        var admin = await CreateUserAsync(OtherSchool.Slug, null, CourseRole.Student, "admin@other.test", "Olga Admin", tenantAdmin: true);
        var teacher = await CreateUserAsync(OtherSchool.Slug, course.Id, CourseRole.Teacher, "teacher@other.test", "Otto Teacher");
        var grader = await CreateUserAsync(OtherSchool.Slug, course.Id, CourseRole.Grader, "grader@other.test", "Oona Grader");
        // The same email as the demo student: two schools, two separate accounts.
        var student = await CreateUserAsync(OtherSchool.Slug, course.Id, CourseRole.Student, "student@demo.test", "Oscar Student");
        var assignment = await CreateAssignmentAsync(course.Id, points: 10);

        var submissionId = await AsAsync(OtherSchool.Slug, student.Email, async services =>
        {
            var receipt = await services.GetRequiredService<Platform.Web.Features.Submissions.SubmissionService>().SubmitAsync(assignment.Id, "other-1",
                [new Platform.Web.Features.Submissions.IncomingFile("secret.c", () => new MemoryStream(OtherSchool.SecretBytes))], SubmissionSource.Upload);
            return receipt.SubmissionId;
        });
        var fileId = await WithDbAsync(db => db.Submissions.IgnoreQueryFilters().Where(s => s.Id == submissionId).SelectMany(s => s.Files).Select(f => f.Id).SingleAsync());
        return new OtherSchool(tenant.Id, course.Id, assignment.Id, submissionId, fileId, admin.Id, teacher.Id, grader.Id, student.Id);
    }
}

public sealed record DemoSchool(Guid TenantId, Guid CourseId, IReadOnlyList<Guid> AssignmentIds);

public sealed record OtherSchool(Guid TenantId, Guid CourseId, Guid AssignmentId, Guid SubmissionId, Guid FileId,
    Guid AdminId, Guid TeacherId, Guid GraderId, Guid StudentId)
{
    public const string Slug = "other";
    public const string Secret = "OTHER-SCHOOL-SECRET-7f3a";
    public static readonly byte[] SecretBytes = System.Text.Encoding.UTF8.GetBytes($"/* {Secret} */ int main(void) {{ return 0; }}\n");
}
