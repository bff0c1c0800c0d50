using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Tenancy;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>
/// The tenant query filters on PostgreSQL (the integration suite runs them on SQLite): another
/// school's course and assignment, asked for by the demo school's admin through the demo school's
/// address, are not found, and a demo-school context never sees their rows.
/// </summary>
public sealed class PostgresTenancyTests(PostgresTenancyTests.TwoSchools schools) : IClassFixture<PostgresTenancyTests.TwoSchools>
{
    /// <summary>One instance on a fresh database for the class: the demo school and a second one with a course and an assignment.</summary>
    public sealed class TwoSchools : IAsyncLifetime
    {
        public PortalInstance Portal { get; private set; } = null!;
        public Course Course { get; private set; } = null!;
        public Assignment Assignment { get; private set; } = null!;
        private string _data = null!;

        public async Task InitializeAsync()
        {
            _data = Directory.CreateTempSubdirectory("webvm-pg-tenancy-").FullName;
            Portal = new PortalInstance(await SharedServices.NewDatabaseAsync(), _data, redis: null);
            Portal.CreateClient().Dispose();
            await using var scope = Portal.Services.CreateAsyncScope();
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
            var other = new Tenant("other", "Other Academy");
            db.Tenants.Add(other);
            await db.SaveChangesAsync();
            Course = new Course(other.Id, "SECRET201", "Other's secret course");
            Assignment = new Assignment(Course, "secret", "Secret assignment", DateTimeOffset.UtcNow.AddDays(7), 10);
            db.Courses.Add(Course);
            db.Assignments.Add(Assignment);
            await db.SaveChangesAsync();
        }

        public async Task DisposeAsync()
        {
            await Portal.DisposeAsync();
            Directory.Delete(_data, recursive: true);
        }
    }

    [Theory]
    [InlineData("courses/{course}")]
    [InlineData("courses/{course}/gradebook")]
    [InlineData("courses/{course}/gradebook.csv")]
    [InlineData("courses/{course}/package.zip")]
    [InlineData("assignments/{assignment}")]
    [InlineData("assignments/{assignment}/submissions")]
    public async Task OtherSchoolsIds_DemoAdminThroughDemoAddress_Refused(string path)
    {
        var (admin, _) = await schools.Portal.SignInAsync("admin@demo.test");

        var response = await admin.GetAsync("/t/demo/" + path.Replace("{course}", schools.Course.Id.ToString()).Replace("{assignment}", schools.Assignment.Id.ToString()));

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"Got {(int)response.StatusCode}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret course", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Secret assignment", body);
    }

    [Fact]
    public async Task QueryFilter_DemoContextOnPostgres_SeesOnlyDemoRows()
    {
        await using var scope = schools.Portal.Services.CreateAsyncScope();
        Assert.True(await scope.ServiceProvider.GetRequiredService<RequestTenant>().SelectAsync("demo", CancellationToken.None));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();

        Assert.Equal(["LINUX101"], await db.Courses.Select(c => c.Code).ToListAsync());
        Assert.False(await db.Assignments.AnyAsync(a => a.Id == schools.Assignment.Id));
        Assert.True(await db.Assignments.IgnoreQueryFilters().AnyAsync(a => a.Id == schools.Assignment.Id));
    }
}
