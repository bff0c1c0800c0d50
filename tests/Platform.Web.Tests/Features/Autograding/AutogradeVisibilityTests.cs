using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Assignments;
using Platform.Web.Features.Autograding;
using Platform.Web.Features.Courses;
using Platform.Web.Tenancy;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Autograding;

/// <summary>Who sees which check results, and editing the checks; runs are recorded directly (no machine).</summary>
[Collection(SerialCollection.Name)]
public sealed class AutogradeVisibilityTests(AutogradePortal portal) : IClassFixture<AutogradePortal>
{
    private static readonly CheckResult[] Results =
    [
        new() { Name = "visible pass", Points = 4, MaxPoints = 4, Outcome = CheckOutcome.Passed, Output = "ok", VisibleToStudents = true },
        new() { Name = "hidden fail", Points = 0, MaxPoints = 6, Outcome = CheckOutcome.Failed, Output = "secret expected value 42", VisibleToStudents = false },
    ];

    private async Task<(PlatformUser Student, Assignment Assignment, Guid SubmissionId)> ArrangeAsync(CheckResultsVisibility visibility, DateTimeOffset? dueAt = null)
    {
        var demo = await portal.DemoAsync();
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, dueAt);
        await portal.WithDbAsync(async db =>
        {
            var tracked = await db.Assignments.IgnoreQueryFilters().SingleAsync(a => a.Id == assignment.Id);
            tracked.CheckResultsVisibility = visibility;
            await db.SaveChangesAsync();
        });
        // No checks on the assignment: the submission queues no real run; the test records one.
        var receipt = await portal.SubmitAsync(student.Email!, assignment.Id, [AutogradePortal.Text("a.txt", "a")]);
        await portal.WithDbAsync(async db =>
        {
            var submission = await db.Submissions.IgnoreQueryFilters().SingleAsync(s => s.Id == receipt.SubmissionId);
            var run = new AutogradeRun(submission, DateTimeOffset.UtcNow);
            run.Start(DateTimeOffset.UtcNow);
            run.Finish(false, Results, true, "1 of 2 checks passed.", "console text", DateTimeOffset.UtcNow);
            db.AutogradeRuns.Add(run);
            await db.SaveChangesAsync();
        });
        return (student, assignment, receipt.SubmissionId);
    }

    private Task<AutogradeView?> ViewAsync(string? tenant, string? email, Guid submissionId) =>
        portal.AsAsync(tenant, email, s => s.GetRequiredService<AutogradeService>().ViewAsync(submissionId));

    [Fact]
    public async Task ViewAsync_Immediately_StudentSeesVisibleChecksOnly_GraderSeesAll()
    {
        var (student, _, id) = await ArrangeAsync(CheckResultsVisibility.Immediately);

        var mine = await ViewAsync(PortalFactory.Demo, student.Email, id);
        var staff = await ViewAsync(PortalFactory.Demo, "grader@demo.test", id);

        Assert.Equal(["visible pass"], mine!.Checks.Select(c => c.Name));
        Assert.Equal((4m, 4m, 1), (mine.Score, mine.MaxScore, mine.HiddenChecks));
        Assert.Null(mine.ConsoleLog);
        Assert.DoesNotContain("secret", mine.Summary + string.Join("", mine.Checks.Select(c => c.Output)));
        Assert.Equal(2, staff!.Checks.Count);
        Assert.Equal("console text", staff.ConsoleLog);
        Assert.Equal(4m, staff.Score);
        Assert.Equal(10m, staff.MaxScore);
    }

    [Fact]
    public async Task ViewAsync_AfterDueDate_HiddenUntilTheStudentsDueDate()
    {
        var (student, _, id) = await ArrangeAsync(CheckResultsVisibility.AfterDueDate, portal.Clock.GetUtcNow().AddDays(2));

        Assert.Null(await ViewAsync(PortalFactory.Demo, student.Email, id));
        Assert.NotNull(await ViewAsync(PortalFactory.Demo, "grader@demo.test", id));
        portal.Clock.Advance(TimeSpan.FromDays(3));
        try
        {
            Assert.Equal(["visible pass"], (await ViewAsync(PortalFactory.Demo, student.Email, id))!.Checks.Select(c => c.Name));
        }
        finally
        {
            portal.Clock.Reset();
        }
    }

    [Fact]
    public async Task ViewAsync_Never_StudentSeesNothingGraderSeesAll()
    {
        var (student, _, id) = await ArrangeAsync(CheckResultsVisibility.Never);

        Assert.Null(await ViewAsync(PortalFactory.Demo, student.Email, id));
        Assert.Equal(2, (await ViewAsync(PortalFactory.Demo, "teacher@demo.test", id))!.Checks.Count);
    }

    [Fact]
    public async Task ViewAsync_ClassmateOrOtherSchool_IsToldItDoesNotExist()
    {
        var (_, _, id) = await ArrangeAsync(CheckResultsVisibility.Immediately);
        var demo = await portal.DemoAsync();
        var classmate = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        await portal.OtherSchoolAsync();

        await Assert.ThrowsAsync<NotFoundException>(() => ViewAsync(PortalFactory.Demo, classmate.Email, id));
        await Assert.ThrowsAsync<NotFoundException>(() => ViewAsync(OtherSchool.Slug, "teacher@other.test", id));
        await Assert.ThrowsAsync<ForbiddenException>(() => ViewAsync(PortalFactory.Demo, null, id));
    }

    [Fact]
    public async Task RerunAsync_ByStudent_IsForbidden_AndWithoutChecksIsRefused()
    {
        var (student, _, id) = await ArrangeAsync(CheckResultsVisibility.Immediately);

        await Assert.ThrowsAsync<ForbiddenException>(() => portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<AutogradeService>().RerunAsync(id)));
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => portal.AsAsync(PortalFactory.Demo, "grader@demo.test", s => s.GetRequiredService<AutogradeService>().RerunAsync(id)));
        Assert.Contains("no checks", e.Message);
    }

    [Fact]
    public async Task SaveChecks_ByTeacher_ReplacesChecksAndVisibility()
    {
        var demo = await portal.DemoAsync();
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId);
        const string yaml = "- name: exists\n  command: test -f ~/a.txt\n  points: 2\n  visible: false\n";

        await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => s.GetRequiredService<AssignmentChecks>().SaveAsync(assignment.Id, new ChecksInput(yaml, CheckResultsVisibility.AfterDueDate)));

        var saved = await portal.WithDbAsync(db => db.Assignments.IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.Id == assignment.Id));
        var check = Assert.Single(saved.Checks);
        Assert.Equal(("exists", "test -f ~/a.txt", 2m, 30, false), (check.Name, check.Command, check.Points, check.TimeoutSeconds, check.VisibleToStudents));
        Assert.Equal(CheckResultsVisibility.AfterDueDate, saved.CheckResultsVisibility);
        var read = await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => s.GetRequiredService<AssignmentChecks>().GetAsync(assignment.Id));
        Assert.Contains("test -f ~/a.txt", read.Yaml);
    }

    [Fact]
    public async Task SaveChecks_BadYaml_IsRefusedAndKeepsTheOldChecks()
    {
        var assignment = await portal.DemoAssignmentAsync("02-pipes-and-filters");
        var before = assignment.Checks.Count;

        var e = await Assert.ThrowsAsync<InvalidInputException>(() => portal.AsAsync(PortalFactory.Demo, "teacher@demo.test",
            s => s.GetRequiredService<AssignmentChecks>().SaveAsync(assignment.Id, new ChecksInput("- name: x\n  command: true\n  points: -3\n", CheckResultsVisibility.Never))));

        Assert.Contains("negative points", e.Message);
        var after = await portal.DemoAssignmentAsync("02-pipes-and-filters");
        Assert.Equal(before, after.Checks.Count);
        Assert.Equal(CheckResultsVisibility.Immediately, after.CheckResultsVisibility);
    }

    [Theory]
    [InlineData("grader@demo.test")]
    [InlineData("student@demo.test")]
    public async Task SaveChecks_ByNonTeacher_IsForbidden(string email)
    {
        var assignment = await portal.DemoAssignmentAsync("03-shell-scripts");
        await Assert.ThrowsAsync<ForbiddenException>(() => portal.AsAsync(PortalFactory.Demo, email,
            s => s.GetRequiredService<AssignmentChecks>().SaveAsync(assignment.Id, new ChecksInput("", CheckResultsVisibility.Never))));
    }

    [Fact]
    public async Task SaveChecks_FromOtherSchool_IsToldItDoesNotExist()
    {
        var assignment = await portal.DemoAssignmentAsync("03-shell-scripts");
        await portal.OtherSchoolAsync();
        await Assert.ThrowsAsync<NotFoundException>(() => portal.AsAsync(OtherSchool.Slug, "teacher@other.test",
            s => s.GetRequiredService<AssignmentChecks>().SaveAsync(assignment.Id, new ChecksInput("", CheckResultsVisibility.Never))));
    }
}
