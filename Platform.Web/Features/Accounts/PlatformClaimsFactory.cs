using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Platform.Data.Entities;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Accounts;

/// <summary>Puts the account's tenant and admin flags into the session, so each request can check them cheaply.</summary>
public sealed class PlatformClaimsFactory(UserManager<PlatformUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<PlatformUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PlatformUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(PlatformClaims.DisplayName, user.DisplayName));
        if (user.TenantId is { } tenantId)
            identity.AddClaim(new Claim(PlatformClaims.Tenant, tenantId.ToString()));
        if (user.IsTenantAdmin)
            identity.AddClaim(new Claim(PlatformClaims.TenantAdmin, "true"));
        if (user.IsPlatformAdmin)
            identity.AddClaim(new Claim(PlatformClaims.PlatformAdmin, "true"));
        return identity;
    }
}
