using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Features.Courses;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Grading;

public sealed record FileCommentView(Guid Id, Guid FileId, int? Line, string Author, string Body, DateTimeOffset CreatedAt);

public sealed record RegradeView(Guid Id, string Reason, DateTimeOffset CreatedAt, RegradeStatus Status, string Response, DateTimeOffset? ResolvedAt);

/// <summary>
/// The conversation around a grade: score overrides with a reason, comments on files, and regrade
/// requests. Graders of the course write; the student who submitted reads once the grade is
/// released, and may ask for a regrade then. Everyone else is told the submission does not exist.
/// </summary>
public sealed class GradingFeedback(IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, CurrentUser user, TimeProvider clock)
{
    public const int MaxTextLength = 2000;

    /// <summary>Sets the grade's score directly (null: back to the rubric's), with the reason the student will read.</summary>
    public async Task OverrideAsync(Guid submissionId, decimal? score, string reason)
    {
        var grader = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        var (submission, _) = await RequireAsync(db, submissionId, staffOnly: true);
        var assignment = submission.Assignment!;
        reason = RequireText(reason, "Give the reason for the override; the student reads it.");
        if (score is { } value && (value < 0 || value > assignment.Points))
            throw new InvalidInputException($"An overridden score lies between 0 and {assignment.Points.ToString("0.##", CultureInfo.InvariantCulture)}.");
        var grade = submission.Grade;
        if (grade is null)
        {
            grade = new Grade(submission);
            db.Grades.Add(grade);
        }
        grade.Override(grader, score, assignment.Points, reason, clock.GetUtcNow());
        await db.SaveChangesAsync();
    }

    public async Task<Guid> CommentAsync(Guid submissionId, Guid fileId, int? line, string body)
    {
        var author = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        var (submission, _) = await RequireAsync(db, submissionId, staffOnly: true);
        if (submission.Files.All(f => f.Id != fileId))
            throw new NotFoundException("The submission has no such file.");
        if (line is < 1)
            throw new InvalidInputException("Lines are counted from 1.");
        body = RequireText(body, "Write a comment first.");
        var comment = new FileComment(submission, fileId, line, author, body, clock.GetUtcNow());
        db.FileComments.Add(comment);
        await db.SaveChangesAsync();
        return comment.Id;
    }

    /// <summary>Staff see every comment; the student sees them once the grade is released (none before).</summary>
    public async Task<IReadOnlyList<FileCommentView>> CommentsAsync(Guid submissionId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var (submission, isStaff) = await RequireAsync(db, submissionId, staffOnly: false);
        if (!isStaff && submission.Grade?.IsReleased != true)
            return [];
        var comments = await db.FileComments.AsNoTracking().Include(c => c.Author).Where(c => c.SubmissionId == submissionId).ToListAsync();
        return comments.OrderBy(c => c.FileId).ThenBy(c => c.Line ?? 0).ThenBy(c => c.CreatedAt)
            .Select(c => new FileCommentView(c.Id, c.FileId, c.Line, c.Author?.DisplayName ?? "", c.Body, c.CreatedAt)).ToList();
    }

    /// <summary>The submitting student asks for a regrade of a released grade; one open request at a time.</summary>
    public async Task<Guid> RequestRegradeAsync(Guid submissionId, string reason)
    {
        var me = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        var (submission, _) = await RequireAsync(db, submissionId, staffOnly: false);
        if (submission.StudentId != me)
            throw new ForbiddenException("Only the student who submitted the work may ask for a regrade.");
        if (submission.Grade?.IsReleased != true)
            throw new InvalidInputException("A regrade can be requested once the grade is released.");
        reason = RequireText(reason, "Say what should be looked at again.");
        if (await db.RegradeRequests.AnyAsync(r => r.SubmissionId == submissionId && r.Status == RegradeStatus.Open))
            throw new InvalidInputException("You have an open regrade request for this submission already.");
        var request = new RegradeRequest(submission, reason, clock.GetUtcNow());
        db.RegradeRequests.Add(request);
        await db.SaveChangesAsync();
        return request.Id;
    }

    /// <summary>A grader answers a request: accepted (the grade was looked at again) or declined, with a response.</summary>
    public async Task AnswerRegradeAsync(Guid submissionId, Guid requestId, bool accepted, string response)
    {
        var grader = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync();
        await RequireAsync(db, submissionId, staffOnly: true);
        var request = await db.RegradeRequests.SingleOrDefaultAsync(r => r.Id == requestId && r.SubmissionId == submissionId)
            ?? throw new NotFoundException("There is no such regrade request.");
        response = RequireText(response, "Answer the student's request.");
        if (request.Status != RegradeStatus.Open)
            throw new InvalidInputException("This regrade request has been answered already.");
        request.Answer(grader, accepted, response, clock.GetUtcNow());
        await db.SaveChangesAsync();
    }

    public async Task<IReadOnlyList<RegradeView>> RegradesAsync(Guid submissionId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await RequireAsync(db, submissionId, staffOnly: false);
        var requests = await db.RegradeRequests.AsNoTracking().Where(r => r.SubmissionId == submissionId).ToListAsync();
        return requests.OrderBy(r => r.CreatedAt).Select(r => new RegradeView(r.Id, r.Reason, r.CreatedAt, r.Status, r.Response, r.ResolvedAt)).ToList();
    }

    /// <summary>Open regrade requests across a course's assignments, for the grader's queue.</summary>
    public async Task<int> OpenRegradesAsync(Guid assignmentId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var assignment = await db.Assignments.AsNoTracking().SingleOrDefaultAsync(a => a.Id == assignmentId)
            ?? throw new NotFoundException("There is no such assignment at this school.");
        await access.RequireAsync(assignment.CourseId, CourseOperations.Grade);
        return await db.RegradeRequests.CountAsync(r => r.Status == RegradeStatus.Open
            && db.Submissions.Any(s => s.Id == r.SubmissionId && s.AssignmentId == assignmentId));
    }

    /// <summary>The submission, if the current user is staff of its course or (unless staff only) the student who submitted it.</summary>
    private async Task<(Submission Submission, bool IsStaff)> RequireAsync(PlatformDbContext db, Guid submissionId, bool staffOnly)
    {
        var me = user.RequireId();
        var submission = await db.Submissions.Include(s => s.Grade).Include(s => s.Files).Include(s => s.Assignment)
            .SingleOrDefaultAsync(s => s.Id == submissionId)
            ?? throw new NotFoundException("There is no such submission at this school.");
        var isStaff = await access.CanAsync(submission.Assignment!.CourseId, CourseOperations.Grade);
        if (!isStaff && submission.StudentId != me)
            throw new NotFoundException("There is no such submission at this school.");
        if (staffOnly && !isStaff)
            throw new ForbiddenException("Only the course's graders may do this.");
        return (submission, isStaff);
    }

    private static string RequireText(string? text, string whenMissing)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new InvalidInputException(whenMissing);
        text = text.Trim();
        if (text.Length > MaxTextLength)
            throw new InvalidInputException($"Keep it under {MaxTextLength} characters.");
        return text;
    }
}
