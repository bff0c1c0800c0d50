using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Jobs;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// What a person may see of a run. Staff: every check, its output and the console log. The student
/// who submitted: the visible checks, when the assignment's setting allows, and never the log.
/// </summary>
public sealed record AutogradeView(
    AutogradeRunStatus Status,
    string Summary,
    decimal Score,
    decimal MaxScore,
    IReadOnlyList<CheckResult> Checks,
    int HiddenChecks,
    string? ConsoleLog,
    bool UsedSnapshot,
    int Attempts,
    DateTimeOffset? FinishedAt,
    bool IsStaffView);

/// <summary>Starting autograde runs and reading their results, under the course's rules.</summary>
public sealed class AutogradeService(IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, CurrentUser user, JobQueue jobs, TimeProvider clock)
{
    /// <summary>
    /// Queues the run of a new submission version: once, however often it is asked (the database
    /// holds one run per version). Nothing to do for an assignment without checks.
    /// </summary>
    public async Task<bool> QueueAsync(Guid tenantId, Guid submissionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var submission = await db.Submissions.AsNoTracking().Include(s => s.Assignment).SingleOrDefaultAsync(s => s.Id == submissionId, cancellationToken);
        if (submission?.Assignment is not { } assignment || assignment.Checks.Count == 0)
            return false;
        if (await db.AutogradeRuns.AnyAsync(r => r.SubmissionId == submissionId, cancellationToken))
            return false;
        db.AutogradeRuns.Add(new AutogradeRun(submission, clock.GetUtcNow()));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return false; // A concurrent request made the run: its job is queued already.
        }
        await jobs.EnqueueAsync(AutogradeJob.JobKind, new AutogradeJob.Payload(submissionId), tenantId, cancellationToken);
        return true;
    }

    /// <summary>Staff: runs the checks again (after a check was fixed, or a final infrastructure failure).</summary>
    public async Task RerunAsync(Guid submissionId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var submission = await db.Submissions.AsNoTracking().Include(s => s.Assignment).SingleOrDefaultAsync(s => s.Id == submissionId, cancellationToken)
            ?? throw new NotFoundException("There is no such submission at this school.");
        await access.RequireAsync(submission.Assignment!.CourseId, CourseOperations.Grade);
        if (submission.Assignment.Checks.Count == 0)
            throw new Courses.InvalidInputException("This assignment has no checks to run.");
        var run = await db.AutogradeRuns.SingleOrDefaultAsync(r => r.SubmissionId == submissionId, cancellationToken);
        if (run is null)
        {
            run = new AutogradeRun(submission, clock.GetUtcNow());
            db.AutogradeRuns.Add(run);
        }
        else if (!run.IsFinished)
        {
            throw new Courses.InvalidInputException("The checks are running already; wait for this run to finish.");
        }
        else
        {
            run.Requeue(clock.GetUtcNow());
        }
        await db.SaveChangesAsync(cancellationToken);
        await jobs.EnqueueAsync(AutogradeJob.JobKind, new AutogradeJob.Payload(submissionId), submission.TenantId, cancellationToken);
    }

    /// <summary>
    /// The run of a submission as the current user may see it; null when there is no run or the
    /// student may not see results (yet). Anyone else gets NotFound, as for the submission itself.
    /// </summary>
    public async Task<AutogradeView?> ViewAsync(Guid submissionId, CancellationToken cancellationToken = default)
    {
        var me = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var submission = await db.Submissions.AsNoTracking().Include(s => s.Assignment).ThenInclude(a => a!.Extensions)
            .SingleOrDefaultAsync(s => s.Id == submissionId, cancellationToken)
            ?? throw new NotFoundException("There is no such submission at this school.");
        var assignment = submission.Assignment!;
        var isStaff = await access.CanAsync(assignment.CourseId, CourseOperations.Grade);
        if (!isStaff && submission.StudentId != me)
            throw new NotFoundException("There is no such submission at this school.");
        var run = await db.AutogradeRuns.AsNoTracking().SingleOrDefaultAsync(r => r.SubmissionId == submissionId, cancellationToken);
        if (run is null)
            return null;
        if (isStaff)
            return new AutogradeView(run.Status, run.Summary, run.Score, run.MaxScore, run.Results, 0, run.ConsoleLog, run.UsedSnapshot, run.Attempts, run.FinishedAt, true);
        if (!StudentMaySee(assignment, submission.StudentId, clock.GetUtcNow()))
            return null;
        var visible = run.Results.Where(r => r.VisibleToStudents).ToList();
        var summary = run.Status switch
        {
            AutogradeRunStatus.Completed or AutogradeRunStatus.Stopped => $"{visible.Count(r => r.Outcome == CheckOutcome.Passed)} of {visible.Count} visible checks passed.",
            AutogradeRunStatus.Failed => "The checks could not be run; your teacher has been shown why.",
            _ => "The checks are running.",
        };
        return new AutogradeView(run.Status, summary, visible.Sum(r => r.Points), visible.Sum(r => r.MaxPoints), visible,
            run.Results.Count - visible.Count, null, run.UsedSnapshot, run.Attempts, run.FinishedAt, false);
    }

    /// <summary>The assignment's setting: immediately, after the student's due date (extensions included), or never.</summary>
    public static bool StudentMaySee(Assignment assignment, Guid studentId, DateTimeOffset now) => assignment.CheckResultsVisibility switch
    {
        CheckResultsVisibility.Immediately => true,
        CheckResultsVisibility.AfterDueDate => now >= assignment.DueFor(studentId),
        _ => false,
    };

    /// <summary>Staff: the latest run of each submission of an assignment, for the queue.</summary>
    public async Task<IReadOnlyDictionary<Guid, AutogradeRun>> RunsForAssignmentAsync(Guid assignmentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var assignment = await db.Assignments.AsNoTracking().SingleOrDefaultAsync(a => a.Id == assignmentId, cancellationToken)
            ?? throw new NotFoundException("There is no such assignment at this school.");
        await access.RequireAsync(assignment.CourseId, CourseOperations.Grade);
        return await db.AutogradeRuns.AsNoTracking().Where(r => r.AssignmentId == assignmentId).ToDictionaryAsync(r => r.SubmissionId, cancellationToken);
    }
}
