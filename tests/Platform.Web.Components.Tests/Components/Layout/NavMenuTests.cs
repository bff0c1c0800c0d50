using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Components.Layout;
using Platform.Web.Tenancy;

namespace Platform.Web.Components.Tests.Components.Layout;

/// <summary>The sidebar shows each role the places it can go, and nothing else.</summary>
public sealed class NavMenuTests : BunitContext
{
    private readonly Tenant _school = new("lincoln", "Lincoln High");

    [Fact]
    public void NavMenu_Student_SeesDashboardAndCoursesOnly()
    {
        var links = RenderFor(SignedIn(tenantAdmin: false), _school);

        Assert.Equal(["Dashboard", "Courses"], links);
    }

    [Fact]
    public void NavMenu_SchoolAdmin_AlsoSeesPeopleAndPackages()
    {
        var links = RenderFor(SignedIn(tenantAdmin: true), _school);

        Assert.Equal(["Dashboard", "Courses", "People", "Course packages", "Network"], links);
    }

    [Fact]
    public void NavMenu_SessionOfAnotherSchool_SeesNothing()
    {
        var other = new Tenant("other", "Other School");

        var links = RenderFor(SignedIn(tenantAdmin: true), other);

        Assert.Empty(links);
    }

    [Fact]
    public void NavMenu_PlatformAdminAtRoot_SeesSchoolsAndJobs()
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, Guid.NewGuid().ToString()),
            new Claim(PlatformClaims.PlatformAdmin, "true"),
        ], "test"));

        var links = RenderFor(principal, tenant: null);

        Assert.Equal(["Schools", "Background jobs"], links);
    }

    private ClaimsPrincipal SignedIn(bool tenantAdmin)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, Guid.NewGuid().ToString()),
            new(PlatformClaims.Tenant, _school.Id.ToString()),
        };
        if (tenantAdmin)
            claims.Add(new Claim(PlatformClaims.TenantAdmin, "true"));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
    }

    private List<string> RenderFor(ClaimsPrincipal principal, Tenant? tenant)
    {
        Services.AddSingleton<IHttpContextAccessor>(new HttpContextAccessor { HttpContext = new DefaultHttpContext { User = principal } });
        // The tenant is selected directly; the factory is never asked for a database here.
        Services.AddSingleton<IDbContextFactory<PlatformDbContext>, NoDatabase>();
        Services.AddScoped<RequestTenant>();
        Services.AddScoped<CurrentUser>();
        if (tenant is not null)
            Services.GetRequiredService<RequestTenant>().Select(tenant);

        return Render<NavMenu>().FindAll("a").Select(a => a.TextContent.Trim()).ToList();
    }

    private sealed class NoDatabase : IDbContextFactory<PlatformDbContext>
    {
        public PlatformDbContext CreateDbContext() => throw new InvalidOperationException("No database in this test.");
    }
}
