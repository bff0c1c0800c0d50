using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Features.Courses;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Assignments;

public sealed record AssignmentRow(Guid Id, string Title, DateTimeOffset DueAt, decimal Points, AssignmentStatus? Status, int Submitted, int Graded);

public sealed record AssignmentView(
    Assignment Assignment,
    Course Course,
    DateTimeOffset DueForMe,
    bool CanTeach,
    bool CanGrade,
    bool CanSubmit,
    AssignmentStatus? MyStatus,
    IReadOnlyList<MySubmission> MySubmissions);

public sealed record MySubmission(Guid Id, int Version, DateTimeOffset SubmittedAt, bool IsLate, int Files, decimal? ReleasedScore);

public sealed record AssignmentInput(string Slug, string Title, string Instructions, DateTimeOffset DueAt, decimal Points,
    Guid? LabImageId, int AcceptDaysLate, decimal PenaltyPercentPerDay);

public sealed class AssignmentService(IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, CurrentUser user, TimeProvider clock)
{
    public async Task<IReadOnlyList<AssignmentRow>> ListAsync(Guid courseId)
    {
        await access.RequireAsync(courseId, CourseOperations.View);
        var me = user.RequireId();
        var isStudent = await access.CanAsync(courseId, CourseOperations.Submit);
        await using var db = await contexts.CreateDbContextAsync();
        var assignments = await db.Assignments.AsNoTracking().Include(a => a.Extensions)
            .Where(a => a.CourseId == courseId).OrderBy(a => a.DueAt).ToListAsync();
        var ids = assignments.Select(a => a.Id).ToList();
        var counts = await db.Submissions.Where(s => ids.Contains(s.AssignmentId))
            .GroupBy(s => s.AssignmentId)
            .Select(g => new { g.Key, Students = g.Select(s => s.StudentId).Distinct().Count(), Graded = g.Count(s => s.Grade != null) })
            .ToDictionaryAsync(x => x.Key);
        var statuses = isStudent ? await StatusesAsync(db, ids, me) : [];
        return assignments.Select(a => new AssignmentRow(a.Id, a.Title, a.DueFor(me), a.Points,
            isStudent ? statuses.GetValueOrDefault(a.Id, AssignmentStatus.NotStarted) : null,
            counts.TryGetValue(a.Id, out var c) ? c.Students : 0,
            counts.TryGetValue(a.Id, out var g) ? g.Graded : 0)).ToList();
    }

    /// <summary>Each assignment's status for one student, from their latest submission and lab visits.</summary>
    internal static async Task<Dictionary<Guid, AssignmentStatus>> StatusesAsync(PlatformDbContext db, IReadOnlyCollection<Guid> assignmentIds, Guid studentId)
    {
        var latest = await db.Submissions.AsNoTracking().Include(s => s.Grade)
            .Where(s => assignmentIds.Contains(s.AssignmentId) && s.StudentId == studentId)
            .ToListAsync();
        var visited = await db.LabVisits.Where(v => assignmentIds.Contains(v.AssignmentId) && v.StudentId == studentId)
            .Select(v => v.AssignmentId).ToListAsync();
        var pending = await db.PendingUploads.Where(u => assignmentIds.Contains(u.AssignmentId) && u.StudentId == studentId)
            .Select(u => u.AssignmentId).ToListAsync();
        var result = new Dictionary<Guid, AssignmentStatus>();
        foreach (var id in visited.Concat(pending))
            result[id] = AssignmentStatus.InProgress;
        foreach (var group in latest.GroupBy(s => s.AssignmentId))
        {
            var last = group.MaxBy(s => s.Version)!;
            result[group.Key] = last.Grade?.IsReleased == true ? AssignmentStatus.Graded
                : last.IsLate ? AssignmentStatus.Late
                : AssignmentStatus.Submitted;
        }
        return result;
    }

    public async Task<AssignmentView> GetAsync(Guid assignmentId)
    {
        var me = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        var assignment = await db.Assignments.AsNoTracking().Include(a => a.Extensions).Include(a => a.LabImage).Include(a => a.Course)
            .SingleOrDefaultAsync(a => a.Id == assignmentId)
            ?? throw new NotFoundException("There is no such assignment at this school.");
        await access.RequireAsync(assignment.CourseId, CourseOperations.View);
        var canSubmit = await access.CanAsync(assignment.CourseId, CourseOperations.Submit);
        var mine = await db.Submissions.AsNoTracking().Include(s => s.Files).Include(s => s.Grade)
            .Where(s => s.AssignmentId == assignmentId && s.StudentId == me)
            .OrderByDescending(s => s.Version).ToListAsync();
        var status = canSubmit ? (await StatusesAsync(db, [assignmentId], me)).GetValueOrDefault(assignmentId, AssignmentStatus.NotStarted) : (AssignmentStatus?)null;
        return new AssignmentView(assignment, assignment.Course!, assignment.DueFor(me),
            await access.CanAsync(assignment.CourseId, CourseOperations.Teach),
            await access.CanAsync(assignment.CourseId, CourseOperations.Grade),
            canSubmit, status,
            mine.Select(s => new MySubmission(s.Id, s.Version, s.SubmittedAt, s.IsLate, s.Files.Count,
                s.Grade?.IsReleased == true ? s.Grade.Score : null)).ToList());
    }

    public async Task<Assignment> SaveAsync(Guid courseId, Guid? assignmentId, AssignmentInput input)
    {
        await access.RequireAsync(courseId, CourseOperations.Teach);
        if (string.IsNullOrWhiteSpace(input.Title))
            throw new InvalidInputException("An assignment needs a title.");
        if (input.Points < 0)
            throw new InvalidInputException("Points cannot be negative.");
        if (input.AcceptDaysLate < 0 || input.PenaltyPercentPerDay is < 0 or > 100)
            throw new InvalidInputException("Late days cannot be negative and the daily penalty lies between 0 and 100%.");
        await using var db = await contexts.CreateDbContextAsync();
        var course = await db.Courses.SingleAsync(c => c.Id == courseId);
        if (input.LabImageId is { } imageId && !await db.LabImages.AnyAsync(i => i.Id == imageId && i.CourseId == courseId))
            throw new InvalidInputException("That lab image does not belong to this course.");

        Assignment assignment;
        if (assignmentId is { } id)
        {
            assignment = await db.Assignments.SingleOrDefaultAsync(a => a.Id == id && a.CourseId == courseId)
                ?? throw new NotFoundException("There is no such assignment in this course.");
        }
        else
        {
            var slug = Slugify(string.IsNullOrWhiteSpace(input.Slug) ? input.Title : input.Slug);
            if (await db.Assignments.AnyAsync(a => a.CourseId == courseId && a.Slug == slug))
                throw new InvalidInputException($"The course has an assignment '{slug}' already.");
            assignment = new Assignment(course, slug, input.Title, input.DueAt, input.Points);
            db.Assignments.Add(assignment);
        }
        assignment.Title = input.Title.Trim();
        assignment.InstructionsMarkdown = input.Instructions;
        assignment.DueAt = input.DueAt;
        assignment.Points = input.Points;
        assignment.LabImageId = input.LabImageId;
        assignment.LatePolicy = new LatePolicy { AcceptDaysLate = input.AcceptDaysLate, PenaltyPercentPerDay = input.PenaltyPercentPerDay };
        await db.SaveChangesAsync();
        return assignment;
    }

    public async Task GrantExtensionAsync(Guid assignmentId, Guid studentId, DateTimeOffset dueAt, string reason)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var assignment = await db.Assignments.SingleOrDefaultAsync(a => a.Id == assignmentId)
            ?? throw new NotFoundException("There is no such assignment at this school.");
        await access.RequireAsync(assignment.CourseId, CourseOperations.Teach);
        if (!await db.Enrollments.AnyAsync(e => e.CourseId == assignment.CourseId && e.UserId == studentId && e.Role == CourseRole.Student))
            throw new InvalidInputException("Extensions are for students of this course.");
        if (dueAt <= assignment.DueAt)
            throw new InvalidInputException("An extension moves the due date later.");
        db.Extensions.Add(new Extension(assignment, studentId, dueAt, reason));
        await db.SaveChangesAsync();
    }

    /// <summary>Records that the student opened the lab, which makes the assignment "in progress".</summary>
    public async Task RecordLabVisitAsync(Guid assignmentId)
    {
        var me = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        var assignment = await db.Assignments.SingleOrDefaultAsync(a => a.Id == assignmentId)
            ?? throw new NotFoundException("There is no such assignment at this school.");
        await access.RequireAsync(assignment.CourseId, CourseOperations.View);
        if (!await access.CanAsync(assignment.CourseId, CourseOperations.Submit))
            return;
        var visit = await db.LabVisits.SingleOrDefaultAsync(v => v.AssignmentId == assignmentId && v.StudentId == me);
        if (visit is null)
            db.LabVisits.Add(new LabVisit(assignment, me, clock.GetUtcNow()));
        else
            visit.Opened(clock.GetUtcNow());
        await db.SaveChangesAsync();
    }

    internal static string Slugify(string text)
    {
        var chars = text.Trim().ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length > 80 ? slug[..80] : slug.Length == 0 ? "assignment" : slug;
    }
}
