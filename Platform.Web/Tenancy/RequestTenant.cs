using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Data.Tenancy;

namespace Platform.Web.Tenancy;

/// <summary>
/// The tenant of the current request or job (scoped). It is the <see cref="ITenantProvider"/> the
/// DbContext filters by; nothing else decides which tenant's rows a query can see.
/// </summary>
public sealed class RequestTenant(IDbContextFactory<PlatformDbContext> contexts) : ITenantProvider
{
    public Guid? TenantId => Tenant?.Id;
    public Tenant? Tenant { get; private set; }
    public string? Slug => Tenant?.Slug;

    public async Task<bool> SelectAsync(string slug, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Slug == slug, cancellationToken);
        return Tenant is not null;
    }

    /// <summary>For jobs and seeding, which run outside a request.</summary>
    public void Select(Tenant tenant) => Tenant = tenant;
}
