using Microsoft.AspNetCore.Authorization;
using Platform.Web.Tenancy;

namespace Platform.Web.Authorization;

/// <summary>The default policy: signed in, as a member of the tenant the request is for.</summary>
public sealed class TenantMemberRequirement : IAuthorizationRequirement;

public sealed class TenantMemberHandler(CurrentUser user) : AuthorizationHandler<TenantMemberRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, TenantMemberRequirement requirement)
    {
        if (user.IsSignedIn)
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

public static class Policies
{
    public const string TenantAdmin = "TenantAdmin";
    public const string PlatformAdmin = "PlatformAdmin";
}
