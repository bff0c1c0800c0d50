using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Tenancy;

namespace Platform.Web.Authorization;

/// <summary>
/// Decides course operations from the person's enrollment. Fails closed: anything not granted by a
/// rule below is denied.
/// </summary>
public sealed class CourseAuthorizationHandler(CurrentUser user, RequestTenant tenant, IDbContextFactory<PlatformDbContext> contexts)
    : AuthorizationHandler<OperationAuthorizationRequirement, CourseResource>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context,
        OperationAuthorizationRequirement requirement, CourseResource course)
    {
        // A course of another tenant is never reachable, whatever the person's roles at home.
        if (user.Id is not { } userId || tenant.TenantId != course.TenantId)
            return;

        await using var db = await contexts.CreateDbContextAsync();

        // Tenant admins run the school: they see, teach and grade every course, but submit in none.
        // Only courses of this school: the resource's tenant is the request's own, so the check above
        // cannot tell another school's course id; the query filter can.
        if (user.IsTenantAdmin && requirement != CourseOperations.Submit)
        {
            if (await db.Courses.AnyAsync(c => c.Id == course.CourseId))
                context.Succeed(requirement);
            return;
        }

        var role = await db.Enrollments
            .Where(e => e.CourseId == course.CourseId && e.UserId == userId)
            .Select(e => (CourseRole?)e.Role)
            .SingleOrDefaultAsync();
        if (role is { } r && Allows(r, requirement))
            context.Succeed(requirement);
    }

    private static bool Allows(CourseRole role, OperationAuthorizationRequirement requirement) =>
        requirement.Name switch
        {
            nameof(CourseOperations.View) => true,
            // Teachers grade too; graders only grade.
            nameof(CourseOperations.Teach) => role == CourseRole.Teacher,
            nameof(CourseOperations.Grade) => role is CourseRole.Teacher or CourseRole.Grader,
            // Only enrolled students hand in work, so staff never appear in the grading queue.
            nameof(CourseOperations.Submit) => role == CourseRole.Student,
            _ => false,
        };
}
