using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Features.Courses;
using Platform.Web.Storage;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Grading;

public enum QueueFilter { All, Ungraded, Graded, Late }

public sealed record QueueRow(Guid SubmissionId, Guid StudentId, string Student, string? Cohort, int Version, DateTimeOffset SubmittedAt,
    bool IsLate, int DaysLate, string State, decimal? Score);

public sealed record SubmissionDetail(Submission Submission, Assignment Assignment, string StudentName, bool IsStaff, Grade? VisibleGrade);

public sealed record GradebookRow(Guid StudentId, string Student, string Email, string? Cohort, IReadOnlyList<decimal?> Scores, decimal Total);

public sealed record Gradebook(Course Course, IReadOnlyList<Assignment> Assignments, IReadOnlyList<GradebookRow> Rows);

/// <summary>The grader's side: queues, grading with the rubric, releasing, the gradebook.</summary>
public sealed class GradingService(IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, CurrentUser user, IFileStore files, TimeProvider clock)
{
    /// <summary>Each student's latest submission for the assignment, filtered.</summary>
    public async Task<IReadOnlyList<QueueRow>> QueueAsync(Guid assignmentId, QueueFilter filter = QueueFilter.All, string? cohort = null)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var assignment = await RequireAssignmentAsync(db, assignmentId);
        await access.RequireAsync(assignment.CourseId, CourseOperations.Grade);
        var submissions = await db.Submissions.AsNoTracking().Include(s => s.Grade).Include(s => s.Student)
            .Where(s => s.AssignmentId == assignmentId).ToListAsync();
        // Projected in SQL: ToDictionaryAsync's selectors run on the loaded rows, where Cohort is not loaded.
        var cohorts = await db.Enrollments.Where(e => e.CourseId == assignment.CourseId && e.CohortId != null)
            .Select(e => new { e.UserId, Cohort = e.Cohort!.Name })
            .ToDictionaryAsync(e => e.UserId, e => e.Cohort);
        var rows = submissions.GroupBy(s => s.StudentId).Select(g => g.MaxBy(s => s.Version)!)
            .Select(s => new QueueRow(s.Id, s.StudentId, s.Student!.DisplayName, cohorts.GetValueOrDefault(s.StudentId), s.Version, s.SubmittedAt,
                s.IsLate, s.DaysLate, s.Grade is null ? "Ungraded" : s.Grade.IsReleased ? "Released" : "Graded", s.Grade?.Score));
        rows = filter switch
        {
            QueueFilter.Ungraded => rows.Where(r => r.State == "Ungraded"),
            QueueFilter.Graded => rows.Where(r => r.State != "Ungraded"),
            QueueFilter.Late => rows.Where(r => r.IsLate),
            _ => rows,
        };
        if (!string.IsNullOrEmpty(cohort))
            rows = rows.Where(r => r.Cohort == cohort);
        return rows.OrderBy(r => r.State != "Ungraded").ThenBy(r => r.SubmittedAt).ToList();
    }

    /// <summary>Staff of the course see everything; the student who submitted sees their files and a released grade.</summary>
    public async Task<SubmissionDetail> SubmissionAsync(Guid submissionId)
    {
        var me = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        var submission = await db.Submissions.AsNoTracking().Include(s => s.Files).Include(s => s.Grade).Include(s => s.Student)
            .Include(s => s.Assignment).ThenInclude(a => a!.Course)
            .SingleOrDefaultAsync(s => s.Id == submissionId)
            ?? throw new NotFoundException("There is no such submission at this school.");
        var isStaff = await access.CanAsync(submission.Assignment!.CourseId, CourseOperations.Grade);
        if (!isStaff && submission.StudentId != me)
            throw new NotFoundException("There is no such submission at this school.");
        var grade = isStaff || submission.Grade?.IsReleased == true ? submission.Grade : null;
        return new SubmissionDetail(submission, submission.Assignment, submission.Student!.DisplayName, isStaff, grade);
    }

    public async Task<(SubmissionFile File, Stream Content)> OpenFileAsync(Guid submissionId, Guid fileId)
    {
        var detail = await SubmissionAsync(submissionId);
        var file = detail.Submission.Files.SingleOrDefault(f => f.Id == fileId)
            ?? throw new NotFoundException("The submission has no such file.");
        return (file, files.OpenRead(file.StorageKey));
    }

    public async Task GradeAsync(Guid submissionId, IReadOnlyList<decimal> criterionPoints, string comment, bool release)
    {
        var grader = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        var submission = await db.Submissions.Include(s => s.Grade).Include(s => s.Assignment)
            .SingleOrDefaultAsync(s => s.Id == submissionId)
            ?? throw new NotFoundException("There is no such submission at this school.");
        var assignment = submission.Assignment!;
        await access.RequireAsync(assignment.CourseId, CourseOperations.Grade);

        var rubric = assignment.Rubric.Count > 0
            ? assignment.Rubric
            : [new RubricCriterion { Title = "Score", Points = assignment.Points }];
        if (criterionPoints.Count != rubric.Count)
            throw new InvalidInputException($"Give points for each of the {rubric.Count} rubric criteria.");
        var scores = rubric.Zip(criterionPoints, (c, p) => new RubricScore { Criterion = c.Title, Points = p, MaxPoints = c.Points }).ToList();
        var outOfRange = scores.FirstOrDefault(s => s.Points < 0 || s.Points > s.MaxPoints);
        if (outOfRange is not null)
            throw new InvalidInputException($"'{outOfRange.Criterion}' takes 0 to {outOfRange.MaxPoints.ToString("0.##", CultureInfo.InvariantCulture)} points.");

        var grade = submission.Grade;
        if (grade is null)
        {
            grade = new Grade(submission);
            db.Grades.Add(grade);
        }
        var now = clock.GetUtcNow();
        grade.Record(grader, scores, LatePenaltyPercent(assignment, submission), comment, now);
        if (release)
            grade.Release(now);
        await db.SaveChangesAsync();
    }

    /// <summary>The policy's penalty: a percentage per started day late, capped at 100.</summary>
    public static decimal LatePenaltyPercent(Assignment assignment, Submission submission) =>
        Math.Min(100, submission.DaysLate * assignment.LatePolicy.PenaltyPercentPerDay);

    /// <summary>Releases every grade of the assignment that is not released yet; returns how many.</summary>
    public async Task<int> ReleaseAllAsync(Guid assignmentId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var assignment = await RequireAssignmentAsync(db, assignmentId);
        await access.RequireAsync(assignment.CourseId, CourseOperations.Grade);
        var grades = await db.Grades.Where(g => g.Submission!.AssignmentId == assignmentId && g.ReleasedAt == null).ToListAsync();
        var now = clock.GetUtcNow();
        grades.ForEach(g => g.Release(now));
        await db.SaveChangesAsync();
        return grades.Count;
    }

    public async Task<Gradebook> GradebookAsync(Guid courseId)
    {
        await access.RequireAsync(courseId, CourseOperations.Grade);
        await using var db = await contexts.CreateDbContextAsync();
        var course = await db.Courses.AsNoTracking().SingleAsync(c => c.Id == courseId);
        var assignments = await db.Assignments.AsNoTracking().Where(a => a.CourseId == courseId).OrderBy(a => a.DueAt).ToListAsync();
        var students = await db.Enrollments.AsNoTracking().Where(e => e.CourseId == courseId && e.Role == CourseRole.Student)
            .Select(e => new { e.UserId, e.User!.DisplayName, e.User.Email, Cohort = e.Cohort != null ? e.Cohort.Name : null })
            .OrderBy(s => s.DisplayName).ToListAsync();
        var ids = assignments.Select(a => a.Id).ToList();
        var graded = await db.Submissions.AsNoTracking().Include(s => s.Grade)
            .Where(s => ids.Contains(s.AssignmentId) && s.Grade != null).ToListAsync();
        // The gradebook counts each student's latest graded version of each assignment.
        var latest = graded.GroupBy(s => (s.StudentId, s.AssignmentId)).ToDictionary(g => g.Key, g => g.MaxBy(s => s.Version)!.Grade!.Score);
        var rows = students.Select(s =>
        {
            var scores = assignments.Select(a => latest.TryGetValue((s.UserId, a.Id), out var score) ? score : (decimal?)null).ToList();
            return new GradebookRow(s.UserId, s.DisplayName, s.Email ?? "", s.Cohort, scores, scores.Sum(x => x ?? 0));
        }).ToList();
        return new Gradebook(course, assignments, rows);
    }

    public static string ToCsv(Gradebook book)
    {
        var csv = new StringBuilder();
        var header = new[] { "Student", "Email", "Cohort" }.Concat(book.Assignments.Select(a => $"{a.Title} ({a.Points.ToString("0.##", CultureInfo.InvariantCulture)})")).Append("Total");
        csv.AppendLine(string.Join(',', header.Select(Quote)));
        foreach (var row in book.Rows)
        {
            var cells = new[] { row.Student, row.Email, row.Cohort ?? "" }
                .Concat(row.Scores.Select(s => s?.ToString("0.##", CultureInfo.InvariantCulture) ?? ""))
                .Append(row.Total.ToString("0.##", CultureInfo.InvariantCulture));
            csv.AppendLine(string.Join(',', cells.Select(Quote)));
        }
        return csv.ToString();
    }

    /// <summary>RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula.</summary>
    private static string Quote(string cell)
    {
        if (cell.Length > 0 && "=+-@\t\r".Contains(cell[0]) && !decimal.TryParse(cell, NumberStyles.Number, CultureInfo.InvariantCulture, out _))
            cell = "'" + cell;
        return cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{cell.Replace("\"", "\"\"")}\"" : cell;
    }

    private static async Task<Assignment> RequireAssignmentAsync(PlatformDbContext db, Guid assignmentId) =>
        await db.Assignments.AsNoTracking().SingleOrDefaultAsync(a => a.Id == assignmentId)
        ?? throw new NotFoundException("There is no such assignment at this school.");
}
