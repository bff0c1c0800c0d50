using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Platform.Web.Tenancy;

namespace Platform.Web.Authorization;

/// <summary>The one question services ask before touching a course: may the current user do this?</summary>
public sealed class CourseAccess(IAuthorizationService authorization, CurrentUser user, RequestTenant tenant)
{
    public async Task<bool> CanAsync(Guid courseId, OperationAuthorizationRequirement operation)
    {
        if (tenant.TenantId is not { } tenantId)
            return false;
        var result = await authorization.AuthorizeAsync(user.Principal, new CourseResource(tenantId, courseId), operation);
        return result.Succeeded;
    }

    public async Task RequireAsync(Guid courseId, OperationAuthorizationRequirement operation)
    {
        if (!await CanAsync(courseId, operation))
            throw new ForbiddenException($"You may not {operation.Name.ToLowerInvariant()} in this course.");
    }
}
