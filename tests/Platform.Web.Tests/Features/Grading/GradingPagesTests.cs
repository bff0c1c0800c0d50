using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Grading;
using Platform.Web.Features.Submissions;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Grading;

/// <summary>The submission page and the checks page as people use them: pages and their forms over HTTP.</summary>
public sealed class GradingPagesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<(PlatformUser Student, Guid AssignmentId, Guid SubmissionId, Guid FileId)> ArrangeAsync()
    {
        var demo = await portal.DemoAsync();
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, points: 10);
        var receipt = await portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<SubmissionService>().SubmitAsync(
            assignment.Id, "p-1", [new IncomingFile("notes.txt", () => new MemoryStream("first\nsecond\n"u8.ToArray()))], SubmissionSource.Upload));
        await portal.WithDbAsync(async db =>
        {
            var submission = await db.Submissions.IgnoreQueryFilters().SingleAsync(s => s.Id == receipt.SubmissionId);
            var run = new AutogradeRun(submission, DateTimeOffset.UtcNow);
            run.Start(DateTimeOffset.UtcNow);
            run.Finish(false,
            [
                new CheckResult { Name = "notes exist", Points = 2, MaxPoints = 2, Outcome = CheckOutcome.Passed, Output = "found notes", VisibleToStudents = true },
                new CheckResult { Name = "secret check", Points = 0, MaxPoints = 3, Outcome = CheckOutcome.Failed, Output = "expected 42", VisibleToStudents = false },
            ], true, "1 of 2 checks passed.", "WEBVM console line", DateTimeOffset.UtcNow);
            db.AutogradeRuns.Add(run);
            await db.SaveChangesAsync();
        });
        var fileId = await portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters().Where(s => s.Id == receipt.SubmissionId).SelectMany(s => s.Files).Select(f => f.Id).SingleAsync());
        return (student, assignment.Id, receipt.SubmissionId, fileId);
    }

    private static async Task<HttpResponseMessage> PostFormAsync(PortalClient client, string path, string handler, Dictionary<string, string> fields)
    {
        fields["_handler"] = handler;
        fields["__RequestVerificationToken"] = await client.AntiforgeryTokenAsync(path);
        return await client.Http.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    [Fact]
    public async Task SubmissionPage_ShowsTheGraderEveryCheckAndTheStudentTheVisibleOnes()
    {
        var (student, _, id, _) = await ArrangeAsync();
        using var grader = await portal.SignInAsync("grader@demo.test");
        using var owner = await portal.SignInAsync(student.Email!);

        var staffHtml = await (await grader.GetAsync($"t/demo/submissions/{id}")).Content.ReadAsStringAsync();
        var studentHtml = await (await owner.GetAsync($"t/demo/submissions/{id}")).Content.ReadAsStringAsync();

        Assert.Contains("secret check", staffHtml);
        Assert.Contains("WEBVM console line", staffHtml);
        Assert.Contains("notes exist", studentHtml);
        Assert.DoesNotContain("secret check", studentHtml);
        Assert.DoesNotContain("expected 42", studentHtml);
        Assert.DoesNotContain("WEBVM console line", studentHtml);
        Assert.Contains("1 more check is graded but not shown", studentHtml);
    }

    [Fact]
    public async Task SubmissionPage_OverrideAndCommentForms_SaveAndRedirect()
    {
        var (_, _, id, fileId) = await ArrangeAsync();
        using var grader = await portal.SignInAsync("grader@demo.test");
        var path = $"t/demo/submissions/{id}";

        var overridden = await PostFormAsync(grader, path, "override", new() { ["OverrideScore"] = "7.5", ["OverrideReason"] = "Checked by hand." });
        var commented = await PostFormAsync(grader, path, $"comment-{fileId}", new() { ["CommentLine"] = "2", ["CommentBody"] = "Second line is vague." });

        Assert.Equal(HttpStatusCode.Redirect, overridden.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, commented.StatusCode);
        var grade = await portal.WithDbAsync(db => db.Grades.IgnoreQueryFilters().AsNoTracking().SingleAsync(g => g.SubmissionId == id));
        Assert.Equal((7.5m, "Checked by hand."), (grade.Score, grade.OverrideReason));
        var html = await (await grader.GetAsync(path)).Content.ReadAsStringAsync();
        Assert.Contains("Second line is vague.", html);
    }

    [Fact]
    public async Task SubmissionPage_OverrideWithoutReason_ShowsTheErrorAndSavesNothing()
    {
        var (_, _, id, _) = await ArrangeAsync();
        using var grader = await portal.SignInAsync("grader@demo.test");

        var response = await PostFormAsync(grader, $"t/demo/submissions/{id}", "override", new() { ["OverrideScore"] = "1", ["OverrideReason"] = "" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Give the reason for the override", await response.Content.ReadAsStringAsync());
        Assert.False(await portal.WithDbAsync(db => db.Grades.IgnoreQueryFilters().AnyAsync(g => g.SubmissionId == id)));
    }

    [Fact]
    public async Task ChecksPage_TeacherSavesChecks_BadYamlShowsTheReason()
    {
        var (_, assignmentId, _, _) = await ArrangeAsync();
        using var teacher = await portal.SignInAsync("teacher@demo.test");
        var path = $"t/demo/assignments/{assignmentId}/checks";

        var bad = await PostFormAsync(teacher, path, "checks", new() { ["Yaml"] = "- name: a\n  command: true\n  timeout_seconds: 0\n", ["Visibility"] = "Never" });
        var good = await PostFormAsync(teacher, path, "checks", new() { ["Yaml"] = "- name: a\n  command: true\n  points: 1\n", ["Visibility"] = "Never" });

        Assert.Contains("timeout_seconds 0", await bad.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        var saved = await portal.WithDbAsync(db => db.Assignments.IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.Id == assignmentId));
        Assert.Equal((1, CheckResultsVisibility.Never), (saved.Checks.Count, saved.CheckResultsVisibility));
    }

    [Fact]
    public async Task ChecksPage_ForAStudent_IsRefused()
    {
        var (student, assignmentId, _, _) = await ArrangeAsync();
        using var client = await portal.SignInAsync(student.Email!);
        var response = await client.GetAsync($"t/demo/assignments/{assignmentId}/checks");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
