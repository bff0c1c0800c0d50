using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Courses;

public sealed record CourseSummary(Guid Id, string Code, string Title, string Role, int Students, int Assignments);

public sealed record CourseMember(Guid EnrollmentId, Guid UserId, string Name, string Email, CourseRole Role, string? Cohort);

/// <summary>Courses, cohorts and who is in them.</summary>
public sealed class CourseService(
    IDbContextFactory<PlatformDbContext> contexts,
    CourseAccess access,
    CurrentUser user,
    RequestTenant tenant,
    UserManager<PlatformUser> users)
{
    public async Task<IReadOnlyList<CourseSummary>> ListMineAsync()
    {
        var userId = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        var roles = await db.Enrollments.Where(e => e.UserId == userId).ToDictionaryAsync(e => e.CourseId, e => e.Role);
        var courses = db.Courses.AsQueryable();
        if (!user.IsTenantAdmin)
            courses = courses.Where(c => roles.Keys.Contains(c.Id));
        var rows = await courses.OrderBy(c => c.Code)
            .Select(c => new
            {
                c.Id, c.Code, c.Title,
                Students = c.Enrollments.Count(e => e.Role == CourseRole.Student),
                Assignments = c.Assignments.Count,
            })
            .ToListAsync();
        return rows.Select(c => new CourseSummary(c.Id, c.Code, c.Title,
            roles.TryGetValue(c.Id, out var r) ? r.ToString() : "Admin", c.Students, c.Assignments)).ToList();
    }

    /// <summary>School admins and anyone who already teaches may open a new course (and teach it).</summary>
    public async Task<bool> CanCreateAsync()
    {
        if (user.IsTenantAdmin)
            return true;
        var userId = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        return await db.Enrollments.AnyAsync(e => e.UserId == userId && e.Role == CourseRole.Teacher);
    }

    public async Task<Course> CreateAsync(string code, string title, string description)
    {
        if (!await CanCreateAsync())
            throw new ForbiddenException("Only teachers and school admins create courses.");
        await using var db = await contexts.CreateDbContextAsync();
        if (await db.Courses.AnyAsync(c => c.Code == code.Trim()))
            throw new InvalidInputException($"A course with the code '{code.Trim()}' exists already.");
        var course = new Course(tenant.TenantId!.Value, code, title, description);
        db.Courses.Add(course);
        if (!user.IsTenantAdmin)
            db.Enrollments.Add(new Enrollment(course, user.RequireId(), CourseRole.Teacher));
        await db.SaveChangesAsync();
        return course;
    }

    public async Task<Course> GetAsync(Guid courseId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var course = await db.Courses.AsNoTracking().Include(c => c.Cohorts.OrderBy(x => x.Name)).SingleOrDefaultAsync(c => c.Id == courseId)
            ?? throw new NotFoundException("There is no such course at this school.");
        await access.RequireAsync(courseId, CourseOperations.View);
        return course;
    }

    public async Task<IReadOnlyList<CourseMember>> MembersAsync(Guid courseId)
    {
        await access.RequireAsync(courseId, CourseOperations.Grade);
        await using var db = await contexts.CreateDbContextAsync();
        return await db.Enrollments.Where(e => e.CourseId == courseId)
            .OrderBy(e => e.Role).ThenBy(e => e.User!.DisplayName)
            .Select(e => new CourseMember(e.Id, e.UserId, e.User!.DisplayName, e.User.Email ?? "", e.Role, e.Cohort != null ? e.Cohort.Name : null))
            .ToListAsync();
    }

    public async Task<Cohort> AddCohortAsync(Guid courseId, string name)
    {
        await access.RequireAsync(courseId, CourseOperations.Teach);
        await using var db = await contexts.CreateDbContextAsync();
        var course = await db.Courses.SingleAsync(c => c.Id == courseId);
        if (await db.Cohorts.AnyAsync(c => c.CourseId == courseId && c.Name == name.Trim()))
            throw new InvalidInputException($"The course has a cohort named '{name.Trim()}' already.");
        var cohort = new Cohort(course, name);
        db.Cohorts.Add(cohort);
        await db.SaveChangesAsync();
        return cohort;
    }

    /// <summary>Enrolls a person by email, creating their account at this school when they have none.</summary>
    public async Task<EnrollResult> EnrollAsync(Guid courseId, string email, string name, CourseRole role, string? cohortName)
    {
        await access.RequireAsync(courseId, CourseOperations.Teach);
        await using var db = await contexts.CreateDbContextAsync();
        var course = await db.Courses.SingleAsync(c => c.Id == courseId);
        Cohort? cohort = null;
        if (!string.IsNullOrWhiteSpace(cohortName))
            cohort = await db.Cohorts.SingleOrDefaultAsync(c => c.CourseId == courseId && c.Name == cohortName.Trim())
                ?? throw new InvalidInputException($"The course has no cohort named '{cohortName.Trim()}'.");

        var account = await users.FindByEmailAsync(email.Trim());
        var created = false;
        if (account is null)
        {
            account = new PlatformUser
            {
                TenantId = tenant.TenantId,
                UserName = email.Trim(),
                Email = email.Trim(),
                DisplayName = string.IsNullOrWhiteSpace(name) ? email.Trim() : name.Trim(),
            };
            var result = await users.CreateAsync(account);
            if (!result.Succeeded)
                throw new InvalidInputException(string.Join(" ", result.Errors.Select(e => e.Description)));
            created = true;
        }

        var enrollment = await db.Enrollments.SingleOrDefaultAsync(e => e.CourseId == courseId && e.UserId == account.Id);
        if (enrollment is null)
            db.Enrollments.Add(new Enrollment(course, account.Id, role, cohort));
        else
            enrollment.Change(role, cohort);
        await db.SaveChangesAsync();
        return new EnrollResult(account.Id, created, enrollment is not null);
    }

    public async Task UnenrollAsync(Guid courseId, Guid enrollmentId)
    {
        await access.RequireAsync(courseId, CourseOperations.Teach);
        await using var db = await contexts.CreateDbContextAsync();
        await db.Enrollments.Where(e => e.Id == enrollmentId && e.CourseId == courseId).ExecuteDeleteAsync();
    }
}

public sealed record EnrollResult(Guid UserId, bool AccountCreated, bool WasEnrolled);

/// <summary>A request that breaks a rule the user can fix; the message tells them how.</summary>
public sealed class InvalidInputException(string message) : Exception(message);
