using System.Security.Claims;

namespace Platform.Web.Tenancy;

/// <summary>
/// Who is acting, in the request's tenant. A session signed in at another school counts as signed
/// out here, so a cookie never carries a person across tenants.
/// </summary>
public sealed class CurrentUser(IHttpContextAccessor http, RequestTenant tenant)
{
    private ClaimsPrincipal? _caller;

    /// <summary>The request's user, or the hub connection's user inside a hub call.</summary>
    public ClaimsPrincipal Principal => _caller ?? http.HttpContext?.User ?? new ClaimsPrincipal();

    /// <summary>
    /// Hub calls run outside the request that opened the connection (and long polling copies that
    /// request), so the hub filter names the caller explicitly.
    /// </summary>
    public void ActAs(ClaimsPrincipal caller) => _caller = caller;

    public Guid? Id =>
        Principal.Identity?.IsAuthenticated == true
        && Guid.TryParse(Principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
        && BelongsHere
            ? id
            : null;

    public bool IsSignedIn => Id is not null;
    public string DisplayName => Principal.FindFirstValue(PlatformClaims.DisplayName) ?? Principal.Identity?.Name ?? "";
    public bool IsTenantAdmin => IsSignedIn && tenant.TenantId is not null && Principal.HasClaim(PlatformClaims.TenantAdmin, "true");
    public bool IsPlatformAdmin => Principal.Identity?.IsAuthenticated == true && Principal.HasClaim(PlatformClaims.PlatformAdmin, "true");

    private bool BelongsHere
    {
        get
        {
            var claimed = Principal.FindFirstValue(PlatformClaims.Tenant);
            return tenant.TenantId is { } here ? claimed == here.ToString() : string.IsNullOrEmpty(claimed);
        }
    }

    /// <summary>The id, or an exception for code that runs only behind [Authorize].</summary>
    public Guid RequireId() => Id ?? throw new ForbiddenException("Sign in first.");
}

public static class PlatformClaims
{
    public const string Tenant = "webvm:tenant";
    public const string TenantAdmin = "webvm:tenant_admin";
    public const string PlatformAdmin = "webvm:platform_admin";
    public const string DisplayName = "name";
}

/// <summary>The user may not do this here; answered with 403 and a page that says so.</summary>
public sealed class ForbiddenException(string message) : Exception(message);

/// <summary>No such thing in this tenant (or not visible to this user); answered with 404.</summary>
public sealed class NotFoundException(string message) : Exception(message);
