using CoursePackages.Packaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Hosting;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Hosting;

/// <summary>The `import-course` / `export-course` verbs, on an app composed like Program.cs but never started.</summary>
[Collection(SerialCollection.Name)]
public sealed class CommandLineTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "webvm-tests", Guid.NewGuid().ToString("N"));
    private WebApplication _app = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:DataDirectory"] = _folder,
            ["Platform:SeedDemo"] = "false",
            ["OpenId:ServicesClientSecret"] = PortalFactory.ServicesSecret,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddPlatformData();
        builder.AddPlatformIdentity();
        builder.AddPlatformOpenId();
        builder.AddPlatformJobs();
        builder.AddPlatformFeatures();
        _app = builder.Build();
        await _app.PrepareDatabaseAsync();
        await using var scope = _app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        db.Tenants.Add(new Tenant("cli-school", "CLI School"));
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Environment.ExitCode = 0;
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private async Task<T> InDbAsync<T>(Func<PlatformDbContext, Task<T>> query)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        return await query(db);
    }

    [Fact]
    public async Task ImportThenExport_BundledCourse_RoundTrips()
    {
        var source = BundledCourses.FolderOf(BundledCourses.IntroToLinux);
        var zip = Path.Combine(_folder, "out.zip");

        var imported = await _app.RunCommandAsync(["import-course", source, "--tenant", "cli-school"]);
        var exported = await _app.RunCommandAsync(["export-course", "LINUX101", "--tenant", "cli-school", "--out", zip]);

        Assert.True(imported);
        Assert.True(exported);
        Assert.Equal(0, Environment.ExitCode);
        var course = await InDbAsync(db => db.Courses.IgnoreQueryFilters().Include(c => c.Assignments).Include(c => c.Cohorts).Include(c => c.LabImages)
            .SingleAsync(c => c.Code == "LINUX101" && db.Tenants.Any(t => t.Id == c.TenantId && t.Slug == "cli-school")));
        Assert.Equal(4, course.Assignments.Count);
        Assert.Equal(["Monday section", "Thursday section"], course.Cohorts.Select(c => c.Name).Order());
        Assert.Equal(["busybox-shell", "debian-dev"], course.LabImages.Select(i => i.Name).Order());
        await using var file = File.OpenRead(zip);
        var package = CoursePackageReader.ReadZip(file);
        var original = CoursePackageReader.ReadFolder(source);
        Assert.Equal(original.Course.Title, package.Course.Title);
        Assert.Equal(original.Assignments.Select(a => (a.Slug, a.Title, a.Points, a.LabImage, a.DueInDays)), package.Assignments.Select(a => (a.Slug, a.Title, a.Points, a.LabImage, a.DueInDays)));
    }

    [Fact]
    public async Task ImportCourse_UnknownSchool_ExitsWith2()
    {
        var handled = await _app.RunCommandAsync(["import-course", BundledCourses.FolderOf(BundledCourses.IntroToLinux), "--tenant", "no-such-school"]);

        Assert.True(handled);
        Assert.Equal(2, Environment.ExitCode);
        Assert.False(await InDbAsync(db => db.Courses.IgnoreQueryFilters().AnyAsync()));
    }

    [Fact]
    public async Task RunCommand_WithoutVerb_LeavesStartUpToTheServer()
    {
        Assert.False(await _app.RunCommandAsync([]));
        Assert.False(await _app.RunCommandAsync(["--urls", "http://localhost:5099"]));
    }
}
