using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Features.Assignments;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Dashboard;

public sealed record UpcomingWork(Guid AssignmentId, string Title, string Course, DateTimeOffset DueAt, AssignmentStatus Status);

public sealed record GradingWork(Guid AssignmentId, string Title, string Course, int Ungraded, int Graded);

public sealed record DashboardView(IReadOnlyList<UpcomingWork> Upcoming, IReadOnlyList<GradingWork> ToGrade);

/// <summary>What a person should do next: a student's open work, a grader's queues.</summary>
public sealed class DashboardService(IDbContextFactory<PlatformDbContext> contexts, CurrentUser user)
{
    public async Task<DashboardView> GetAsync()
    {
        var me = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        var enrollments = await db.Enrollments.AsNoTracking().Where(e => e.UserId == me).ToListAsync();
        var studentCourses = enrollments.Where(e => e.Role == CourseRole.Student).Select(e => e.CourseId).ToList();
        var staffCourses = user.IsTenantAdmin
            ? await db.Courses.Select(c => c.Id).ToListAsync()
            : enrollments.Where(e => e.Role != CourseRole.Student).Select(e => e.CourseId).ToList();

        var mine = await db.Assignments.AsNoTracking().Include(a => a.Extensions).Include(a => a.Course)
            .Where(a => studentCourses.Contains(a.CourseId)).ToListAsync();
        var statuses = await AssignmentService.StatusesAsync(db, mine.Select(a => a.Id).ToList(), me);
        var upcoming = mine
            .Select(a => new UpcomingWork(a.Id, a.Title, a.Course!.Code, a.DueFor(me), statuses.GetValueOrDefault(a.Id, AssignmentStatus.NotStarted)))
            .OrderBy(w => w.Status is AssignmentStatus.Graded or AssignmentStatus.Submitted or AssignmentStatus.Late).ThenBy(w => w.DueAt)
            .ToList();

        var staffAssignments = await db.Assignments.AsNoTracking().Include(a => a.Course)
            .Where(a => staffCourses.Contains(a.CourseId)).OrderBy(a => a.DueAt).ToListAsync();
        var ids = staffAssignments.Select(a => a.Id).ToList();
        var latest = await db.Submissions.AsNoTracking().Where(s => ids.Contains(s.AssignmentId))
            .Select(s => new { s.AssignmentId, s.StudentId, s.Version, Graded = s.Grade != null }).ToListAsync();
        var counts = latest.GroupBy(s => (s.AssignmentId, s.StudentId)).Select(g => g.MaxBy(s => s.Version)!)
            .GroupBy(s => s.AssignmentId).ToDictionary(g => g.Key, g => (Ungraded: g.Count(s => !s.Graded), Graded: g.Count(s => s.Graded)));
        var toGrade = staffAssignments
            .Select(a => new GradingWork(a.Id, a.Title, a.Course!.Code, counts.GetValueOrDefault(a.Id).Ungraded, counts.GetValueOrDefault(a.Id).Graded))
            .ToList();
        return new DashboardView(upcoming, toGrade);
    }
}
