using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Features.Tenants;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Tenants;

public sealed class TenantServiceTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task CreateAsync_AsPlatformAdmin_MakesSchoolWithItsAdmin()
    {
        var slug = "new-" + Guid.NewGuid().ToString("N")[..8];

        var school = await portal.AsAsync(null, "admin@platform.test", s => s.GetRequiredService<TenantService>().CreateAsync(slug, "New School", "head@new.test", "Hedda Head"));

        var admin = await portal.FindUserAsync("head@new.test", slug);
        Assert.Equal(school.Id, admin.TenantId);
        Assert.True(admin.IsTenantAdmin);
        Assert.Equal("Hedda Head", admin.DisplayName);
    }

    [Fact]
    public async Task CreateAsync_TakenSlug_IsRefusedAndAddsNothing()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            portal.AsAsync(null, "admin@platform.test", s => s.GetRequiredService<TenantService>().CreateAsync("demo", "Another Demo", "x@demo2.test", "X")));

        Assert.Equal("The short name 'demo' is taken.", error.Message);
        Assert.Equal(1, await portal.WithDbAsync(db => db.Tenants.CountAsync(t => t.Slug == "demo")));
    }

    // CreateAsync used to leave the new school selected on the request, so the list right after it was refused.
    [Fact]
    public async Task ListAsync_AfterCreateInTheSameRequest_ShowsTheNewSchool()
    {
        var slug = "new-" + Guid.NewGuid().ToString("N")[..8];

        var rows = await portal.AsAsync(null, "admin@platform.test", async s =>
        {
            var tenants = s.GetRequiredService<TenantService>();
            await tenants.CreateAsync(slug, "Listed School", $"head@{slug}.test", "Head");
            return await tenants.ListAsync();
        });

        Assert.Contains(rows, r => r.Slug == slug && r.People == 1);
    }
}
