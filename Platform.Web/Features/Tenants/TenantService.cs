using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Features.Courses;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Tenants;

public sealed record TenantRow(Guid Id, string Slug, string Name, DateTimeOffset CreatedAt, int People, int Courses);

/// <summary>The platform admin's schools. Counts cross tenants on purpose; no tenant's content is read.</summary>
public sealed class TenantService(IDbContextFactory<PlatformDbContext> contexts, CurrentUser user, RequestTenant tenant, IServiceScopeFactory scopes)
{
    public async Task<IReadOnlyList<TenantRow>> ListAsync()
    {
        RequirePlatformAdmin();
        await using var db = await contexts.CreateDbContextAsync();
        var people = await db.Users.IgnoreQueryFilters().Where(u => u.TenantId != null).GroupBy(u => u.TenantId!.Value).ToDictionaryAsync(g => g.Key, g => g.Count());
        var courses = await db.Courses.IgnoreQueryFilters().GroupBy(c => c.TenantId).ToDictionaryAsync(g => g.Key, g => g.Count());
        var tenants = await db.Tenants.OrderBy(t => t.Name).ToListAsync();
        return tenants.Select(t => new TenantRow(t.Id, t.Slug, t.Name, t.CreatedAt, people.GetValueOrDefault(t.Id), courses.GetValueOrDefault(t.Id))).ToList();
    }

    /// <summary>Creates a school with its first admin, who gets a link to choose a password.</summary>
    public async Task<Tenant> CreateAsync(string slug, string name, string adminEmail, string adminName)
    {
        RequirePlatformAdmin();
        if (!Tenant.IsValidSlug(slug))
            throw new InvalidInputException("The short name uses 2-40 lowercase letters, digits and dashes, e.g. 'lincoln-high'.");
        await using var db = await contexts.CreateDbContextAsync();
        if (await db.Tenants.AnyAsync(t => t.Slug == slug))
            throw new InvalidInputException($"The short name '{slug}' is taken.");
        var created = new Tenant(slug, name);
        db.Tenants.Add(created);
        await db.SaveChangesAsync();

        // The admin's account belongs to the new school: create it in a scope of that school, so the
        // rest of this request (the schools page refreshing its list) still acts for the platform.
        await using var school = scopes.CreateAsyncScope();
        school.ServiceProvider.GetRequiredService<RequestTenant>().Select(created);
        var users = school.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
        var admin = new PlatformUser { TenantId = created.Id, UserName = adminEmail.Trim(), Email = adminEmail.Trim(), DisplayName = adminName.Trim(), IsTenantAdmin = true };
        var result = await users.CreateAsync(admin);
        if (!result.Succeeded)
        {
            db.Tenants.Remove(created);
            await db.SaveChangesAsync();
            throw new InvalidInputException(string.Join(" ", result.Errors.Select(e => e.Description)));
        }
        return created;
    }

    private void RequirePlatformAdmin()
    {
        if (!user.IsPlatformAdmin || tenant.TenantId is not null)
            throw new ForbiddenException("Only platform admins manage schools.");
    }
}
