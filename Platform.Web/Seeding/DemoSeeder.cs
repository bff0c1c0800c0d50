using System.Security.Cryptography;
using CoursePackages.Packaging;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Features.CoursePackages;
using Platform.Web.Hosting;
using Platform.Web.Tenancy;

namespace Platform.Web.Seeding;

public sealed record DemoAccount(string Role, string Email, string SignInUrl);

/// <summary>
/// First start only: a platform admin and a demo school whose course comes from the bundled
/// "Introduction to Linux" package, with one account per role.
/// </summary>
public sealed class DemoSeeder(IServiceScopeFactory scopes, IOptions<PlatformOptions> options, IConfiguration configuration, ILogger<DemoSeeder> logger)
{
    public const string DemoTenant = "demo";
    public const string PlatformAdminEmail = "admin@platform.test";

    public static readonly (string Email, string Name, string Role)[] People =
    [
        ("admin@demo.test", "Dana Admin", "school admin"),
        ("teacher@demo.test", "Theo Teacher", "teacher"),
        ("grader@demo.test", "Grace Grader", "grader"),
        ("student@demo.test", "Sam Student", "student"),
        ("ada@demo.test", "Ada Lovelace", "student"),
        ("linus@demo.test", "Linus Student", "student"),
    ];

    public async Task<IReadOnlyList<DemoAccount>?> SeedAsync(string baseUrl, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var contexts = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (await db.Tenants.AnyAsync(cancellationToken) || await db.Users.IgnoreQueryFilters().AnyAsync(cancellationToken))
                return null;
        }

        var password = configuration["Platform:DemoPassword"] is { Length: > 0 } configured ? configured : NewPassword();
        var users = services.GetRequiredService<UserManager<PlatformUser>>();
        await CreateUserAsync(users, new PlatformUser { UserName = PlatformAdminEmail, Email = PlatformAdminEmail, DisplayName = "Platform Admin", IsPlatformAdmin = true, EmailConfirmed = true }, password);

        var tenant = new Tenant(DemoTenant, "Demo High School");
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.Tenants.Add(tenant);
            await db.SaveChangesAsync(cancellationToken);
        }
        services.GetRequiredService<RequestTenant>().Select(tenant);

        var accounts = new Dictionary<string, PlatformUser>();
        foreach (var (email, name, role) in People)
        {
            var user = new PlatformUser { TenantId = tenant.Id, UserName = email, Email = email, DisplayName = name, IsTenantAdmin = role == "school admin", EmailConfirmed = true };
            await CreateUserAsync(users, user, password);
            accounts[email] = user;
        }

        var package = CoursePackageReader.ReadFolder(BundledCourses.FolderOf(BundledCourses.IntroToLinux));
        var course = await services.GetRequiredService<CoursePackageImporter>()
            .ImportAsync(package, tenant.Id, accounts["teacher@demo.test"].Id, cancellationToken);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var cohorts = await db.Cohorts.Where(c => c.CourseId == course.Id).OrderBy(c => c.Name).ToListAsync(cancellationToken);
            var tracked = await db.Courses.SingleAsync(c => c.Id == course.Id, cancellationToken);
            db.Enrollments.Add(new Enrollment(tracked, accounts["grader@demo.test"].Id, CourseRole.Grader));
            var students = People.Where(p => p.Role == "student").Select(p => accounts[p.Email]).ToList();
            for (var i = 0; i < students.Count; i++)
                db.Enrollments.Add(new Enrollment(tracked, students[i].Id, CourseRole.Student, cohorts[i % cohorts.Count]));
            await db.SaveChangesAsync(cancellationToken);
        }

        var list = new List<DemoAccount> { new("platform admin", PlatformAdminEmail, $"{baseUrl}/account/login") };
        list.AddRange(People.Select(p => new DemoAccount(p.Role, p.Email, $"{baseUrl}/t/{DemoTenant}/account/login")));
        var file = Path.Combine(options.Value.ResolveDataDirectory(services.GetRequiredService<IWebHostEnvironment>().ContentRootPath), "demo-accounts.txt");
        await File.WriteAllLinesAsync(file, list.Select(a => $"{a.Role,-15} {a.Email,-22} {a.SignInUrl}").Append($"password for all: {password}"), cancellationToken);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Printed once, on the console of the person who started the portal, so they can sign in.
        Console.WriteLine();
        Console.WriteLine("  Demo school seeded. Sign in with any of these (password below, also in " + file + "):");
        foreach (var a in list)
            Console.WriteLine($"    {a.Role,-15} {a.Email,-22} {a.SignInUrl}");
        Console.WriteLine($"    password: {password}");
        Console.WriteLine();
        logger.LogInformation("Seeded the demo school '{Tenant}'", DemoTenant);
        return list;
    }

    private static async Task CreateUserAsync(UserManager<PlatformUser> users, PlatformUser user, string password)
    {
        var result = await users.CreateAsync(user, password);
        if (!result.Succeeded)
            throw new InvalidOperationException($"Could not create {user.Email}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
    }

    private static string NewPassword() => "demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}
