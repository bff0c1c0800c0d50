using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Web.Features.Tailnets.Headscale;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Tailnets;

/// <summary>
/// Encrypts a school's Headscale API key at rest with ASP.NET Core Data Protection. The purpose names
/// the school too, so a ciphertext copied into another school's row does not decrypt there.
/// </summary>
public sealed class TailnetKeyProtector(IDataProtectionProvider provider)
{
    public const string Purpose = "Platform.Web.Tailnets.HeadscaleApiKey.v1";

    public string Protect(Guid tenantId, string apiKey) => For(tenantId).Protect(apiKey.Trim());

    /// <summary>The key, or null when it cannot be read any more (the portal's data protection keys were lost).</summary>
    public string? TryUnprotect(Guid tenantId, string protectedKey)
    {
        try
        {
            return For(tenantId).Unprotect(protectedKey);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private IDataProtector For(Guid tenantId) => provider.CreateProtector(Purpose, tenantId.ToString("N"));
}

/// <summary>The current school's Headscale server, with its key decrypted for the call about to be made.</summary>
public sealed class TailnetConnections(IDbContextFactory<PlatformDbContext> contexts, RequestTenant tenant, TailnetKeyProtector protector)
{
    /// <summary>Null when the school connected no server: the rest of the product works without one.</summary>
    public async Task<HeadscaleServer?> GetAsync(CancellationToken ct)
    {
        if (tenant.TenantId is not { } tenantId)
            return null;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await db.TailnetServers.AsNoTracking().SingleOrDefaultAsync(ct);
        if (row is null)
            return null;
        var key = protector.TryUnprotect(tenantId, row.ProtectedApiKey)
            ?? throw new HeadscaleException(HeadscaleFailure.Unauthorized,
                "The stored API key can no longer be decrypted (the portal's data protection keys changed). A school admin pastes the key again under School admin → Network.", null);
        return new HeadscaleServer(new Uri(row.Url), key);
    }
}
