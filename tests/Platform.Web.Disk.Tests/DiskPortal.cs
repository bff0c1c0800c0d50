using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Tenancy;
using Vm.Engine.Disk;
using Vm.ImageBuilder;

namespace Platform.Web.Disk.Tests;

/// <summary>
/// The portal over a TestServer with its own data folder and two schools: alpha (courses A and B,
/// a teacher and a student in A, a student in B) and beta (a student in course C). Each course has a
/// lab image with a small published disk. The system tools a build runs are scripted (<see cref="Tools"/>).
/// </summary>
public sealed partial class DiskPortal : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string Password = "correct-horse-battery";
    /// <summary>One portal at a time: Hangfire keeps process-wide state, and two servers would compete for the CPU.</summary>
    public const string Serial = "disk-portal";
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "webvm-disk-tests", Guid.NewGuid().ToString("N"));
    public ScriptedTools Tools { get; } = new();

    public Guid ImageA { get; private set; }
    public Guid ImageB { get; private set; }
    /// <summary>A second image in course A, registered but never built.</summary>
    public Guid ImageA2 { get; private set; }
    public Guid ImageC { get; private set; }
    public Guid CourseA { get; private set; }
    public string ManifestHashA { get; private set; } = "";
    public byte[] DiskA { get; private set; } = [];

    protected override IHost CreateHost(IHostBuilder builder)
    {
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:DataDirectory"] = DataDirectory,
            ["Platform:SeedDemo"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
        }));
        return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureTestServices(services => services.Replace(ServiceDescriptor.Singleton<IProcessRunner>(Tools)));
    }

    public async Task InitializeAsync()
    {
        _ = Server; // starts the host: migrations run
        var store = Services.GetRequiredService<ImageStore>();
        DiskA = new byte[3 * ImageManifest.DefaultChunkSize];
        new Random(4).NextBytes(DiskA.AsSpan(0, ImageManifest.DefaultChunkSize));
        new Random(5).NextBytes(DiskA.AsSpan(2 * ImageManifest.DefaultChunkSize));
        var published = new ImageWriter(store).Write(new MemoryStream(DiskA), DiskA.Length);
        ManifestHashA = published.ManifestHash;

        (CourseA, ImageA, var courseB, ImageB) = await SeedSchoolAsync("alpha", [("A", ["teacher@alpha.test"], ["student-a@alpha.test"]), ("B", [], ["student-b@alpha.test"])]);
        (_, ImageC, _, _) = await SeedSchoolAsync("beta", [("C", [], ["student-c@beta.test"])]);
        await PublishAsync("alpha", ImageA, published);
        await PublishAsync("alpha", ImageB, published);
        await PublishAsync("beta", ImageC, published);
        await InTenantAsync("alpha", async db =>
        {
            var course = await db.Courses.SingleAsync(c => c.Id == CourseA);
            var image = new LabImage(course, "image-a2", "1") { Recipe = "base: debian/bookworm-i386-minbase\npackages: make\n" };
            db.LabImages.Add(image);
            await db.SaveChangesAsync();
            ImageA2 = image.Id;
        });
    }

    private async Task<(Guid Course1, Guid Image1, Guid Course2, Guid Image2)> SeedSchoolAsync(string slug, (string Code, string[] Teachers, string[] Students)[] courses)
    {
        await using var scope = Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var tenant = new Tenant(slug, slug.ToUpperInvariant());
        var contexts = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
        {
            db.Tenants.Add(tenant);
            await db.SaveChangesAsync();
        }
        services.GetRequiredService<RequestTenant>().Select(tenant);
        var users = services.GetRequiredService<UserManager<PlatformUser>>();
        var ids = new List<Guid>();
        await using var data = await contexts.CreateDbContextAsync();
        foreach (var (code, teachers, students) in courses)
        {
            var course = new Course(tenant.Id, code, $"Course {code}");
            data.Courses.Add(course);
            var image = new LabImage(course, $"image-{code.ToLowerInvariant()}", "1") { Recipe = "base: debian/bookworm-i386-minbase\npackages: make\n" };
            data.LabImages.Add(image);
            foreach (var (email, role) in teachers.Select(t => (t, CourseRole.Teacher)).Concat(students.Select(s => (s, CourseRole.Student))))
            {
                var user = new PlatformUser { TenantId = tenant.Id, UserName = email, Email = email, DisplayName = email, EmailConfirmed = true };
                var created = await users.CreateAsync(user, Password);
                Assert.True(created.Succeeded, string.Join(" ", created.Errors.Select(e => e.Description)));
                data.Enrollments.Add(new Enrollment(course, user.Id, role));
            }
            ids.Add(course.Id);
            ids.Add(image.Id);
        }
        await data.SaveChangesAsync();
        while (ids.Count < 4)
            ids.Add(Guid.Empty);
        return (ids[0], ids[1], ids[2], ids[3]);
    }

    private async Task PublishAsync(string slug, Guid imageId, ImageWriteResult published) =>
        await InTenantAsync(slug, async db =>
        {
            var image = await db.LabImages.SingleAsync(i => i.Id == imageId);
            image.BuildSucceeded(published.ManifestHash, published.Manifest.Size, "seeded", DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        });

    /// <summary>A context filtered to <paramref name="slug"/>'s rows, as a request there would have.</summary>
    public async Task InTenantAsync(string slug, Func<PlatformDbContext, Task> action)
    {
        await using var scope = Services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<RequestTenant>();
        Assert.True(await tenant.SelectAsync(slug, CancellationToken.None));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        await action(db);
    }

    public HttpClient Anonymous() => CreateDefaultClient(new Uri("http://localhost/"));

    /// <summary>Signs in through the school's login form; the client keeps the session cookie.</summary>
    public async Task<HttpClient> SignInAsync(string slug, string email)
    {
        var client = CreateDefaultClient(new Uri("http://localhost/"), new CookieContainerHandler(new CookieContainer()));
        var page = await (await client.GetAsync($"t/{slug}/account/login")).Content.ReadAsStringAsync();
        var token = WebUtility.HtmlDecode(TokenValue().Match(page).Groups[1].Value);
        var response = await client.PostAsync($"t/{slug}/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = Password,
        }));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"sign-in of {email}: {(int)response.StatusCode}");
        return client;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenValue();

    Task IAsyncLifetime.DisposeAsync()
    {
        Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }
}

/// <summary>Stands in for debootstrap, mke2fs, umount and rm: answers from a script, never touches the system.</summary>
public sealed class ScriptedTools : IProcessRunner
{
    public List<string> Calls { get; } = [];
    /// <summary>What debootstrap prints and returns; the default is the failure a nonexistent package gives.</summary>
    public Func<IReadOnlyList<string>, (string[] Lines, int Exit)> Debootstrap { get; set; } = _ => (["I: Retrieving InRelease", "E: Couldn't find these debs: no-such-package"], 1);

    public Task<int> RunAsync(string file, IReadOnlyList<string> arguments, Action<string> onLine, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        lock (Calls)
            Calls.Add($"{file} {string.Join(' ', arguments)}");
        if (file == "mke2fs")
        {
            // A stand-in disk: four chunks, one of them zero, different for every build.
            var disk = new byte[4 * Vm.Engine.Disk.ImageManifest.DefaultChunkSize];
            Random.Shared.NextBytes(disk.AsSpan(0, 3 * Vm.Engine.Disk.ImageManifest.DefaultChunkSize));
            File.WriteAllBytes(arguments[^2], disk);
            return Task.FromResult(0);
        }
        if (file != "debootstrap")
            return Task.FromResult(0);
        var (lines, exit) = Debootstrap(arguments);
        foreach (var line in lines)
            onLine(line);
        return Task.FromResult(exit);
    }
}
