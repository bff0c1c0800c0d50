using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Courses;
using Platform.Web.Features.Grading;
using Platform.Web.Features.Submissions;
using Platform.Web.Tenancy;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Grading;

/// <summary>Score overrides, comments on files and regrade requests, with their failure paths.</summary>
public sealed class GradingFeedbackTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string Grader = "grader@demo.test";

    private async Task<(PlatformUser Student, Guid SubmissionId, Guid FileId)> ArrangeAsync()
    {
        var demo = await portal.DemoAsync();
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, points: 10);
        var receipt = await portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<SubmissionService>().SubmitAsync(
            assignment.Id, "f-1", [new IncomingFile("main.c", () => new MemoryStream("int main(void)\n{\n  return 0;\n}\n"u8.ToArray()))], SubmissionSource.Upload));
        var fileId = await portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters().Where(s => s.Id == receipt.SubmissionId).SelectMany(s => s.Files).Select(f => f.Id).SingleAsync());
        return (student, receipt.SubmissionId, fileId);
    }

    private Task AsAsync(string? email, Func<GradingFeedback, Task> action, string tenant = PortalFactory.Demo) =>
        portal.AsAsync(tenant, email, s => action(s.GetRequiredService<GradingFeedback>()));

    private Task<T> AsAsync<T>(string? email, Func<GradingFeedback, Task<T>> action, string tenant = PortalFactory.Demo) =>
        portal.AsAsync(tenant, email, s => action(s.GetRequiredService<GradingFeedback>()));

    private Task GradeAndReleaseAsync(Guid submissionId, decimal points) =>
        portal.AsAsync(PortalFactory.Demo, Grader, s => s.GetRequiredService<GradingService>().GradeAsync(submissionId, [points], "ok", release: true));

    private Task<Grade> GradeOfAsync(Guid submissionId) =>
        portal.WithDbAsync(db => db.Grades.IgnoreQueryFilters().AsNoTracking().SingleAsync(g => g.SubmissionId == submissionId));

    [Fact]
    public async Task OverrideAsync_WithReason_ReplacesTheScoreAndKeepsTheReason()
    {
        var (_, id, _) = await ArrangeAsync();
        await GradeAndReleaseAsync(id, 6);

        await AsAsync(Grader, f => f.OverrideAsync(id, 9.5m, "The hidden check's expected file was wrong."));

        var grade = await GradeOfAsync(id);
        Assert.Equal(9.5m, grade.Score);
        Assert.Equal(6m, grade.RawScore);
        Assert.Equal("The hidden check's expected file was wrong.", grade.OverrideReason);
        Assert.Equal((await portal.FindUserAsync(Grader)).Id, grade.OverriddenById);

        await AsAsync(Grader, f => f.OverrideAsync(id, null, "Back to the rubric."));
        Assert.Equal(6m, (await GradeOfAsync(id)).Score);
    }

    [Theory]
    [InlineData("", "reason")]
    [InlineData("   ", "reason")]
    public async Task OverrideAsync_WithoutReason_IsRefused(string reason, string expected)
    {
        var (_, id, _) = await ArrangeAsync();
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => AsAsync(Grader, f => f.OverrideAsync(id, 5, reason)));
        Assert.Contains(expected, e.Message);
        Assert.False(await portal.WithDbAsync(db => db.Grades.IgnoreQueryFilters().AnyAsync(g => g.SubmissionId == id)));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10.5)]
    public async Task OverrideAsync_ScoreOutOfRange_IsRefused(double score)
    {
        var (_, id, _) = await ArrangeAsync();
        var e = await Assert.ThrowsAsync<InvalidInputException>(() => AsAsync(Grader, f => f.OverrideAsync(id, (decimal)score, "because")));
        Assert.Contains("between 0 and 10", e.Message);
    }

    [Fact]
    public async Task OverrideAsync_ByTheStudent_IsForbidden_AndFromOtherSchool_NotFound()
    {
        var (student, id, _) = await ArrangeAsync();
        await portal.OtherSchoolAsync();
        await Assert.ThrowsAsync<ForbiddenException>(() => AsAsync(student.Email, f => f.OverrideAsync(id, 10, "I deserve it")));
        await Assert.ThrowsAsync<NotFoundException>(() => AsAsync("teacher@other.test", f => f.OverrideAsync(id, 10, "why not"), OtherSchool.Slug));
    }

    [Fact]
    public async Task CommentAsync_OnALine_StudentSeesItOnlyAfterRelease()
    {
        var (student, id, fileId) = await ArrangeAsync();

        await AsAsync(Grader, f => f.CommentAsync(id, fileId, 3, "Return EXIT_SUCCESS for clarity."));

        Assert.Empty(await AsAsync(student.Email, f => f.CommentsAsync(id)));
        var staff = Assert.Single(await AsAsync(Grader, f => f.CommentsAsync(id)));
        Assert.Equal((fileId, (int?)3, "Return EXIT_SUCCESS for clarity."), (staff.FileId, staff.Line, staff.Body));
        await GradeAndReleaseAsync(id, 8);
        Assert.Equal("Return EXIT_SUCCESS for clarity.", Assert.Single(await AsAsync(student.Email, f => f.CommentsAsync(id))).Body);
    }

    [Fact]
    public async Task CommentAsync_BadInputOrWrongPerson_IsRefused()
    {
        var (student, id, fileId) = await ArrangeAsync();
        var other = await portal.OtherSchoolAsync();

        await Assert.ThrowsAsync<InvalidInputException>(() => AsAsync(Grader, f => f.CommentAsync(id, fileId, null, " ")));
        await Assert.ThrowsAsync<InvalidInputException>(() => AsAsync(Grader, f => f.CommentAsync(id, fileId, 0, "line zero")));
        await Assert.ThrowsAsync<InvalidInputException>(() => AsAsync(Grader, f => f.CommentAsync(id, fileId, null, new string('x', 2001))));
        // Another submission's file, even a real one, is not this submission's.
        await Assert.ThrowsAsync<NotFoundException>(() => AsAsync(Grader, f => f.CommentAsync(id, other.FileId, null, "hi")));
        await Assert.ThrowsAsync<ForbiddenException>(() => AsAsync(student.Email, f => f.CommentAsync(id, fileId, null, "self-review")));
        await Assert.ThrowsAsync<NotFoundException>(() => AsAsync("teacher@other.test", f => f.CommentsAsync(id), OtherSchool.Slug));
        Assert.Empty(await AsAsync(Grader, f => f.CommentsAsync(id)));
    }

    [Fact]
    public async Task RegradeRequest_AfterRelease_IsAnsweredByTheGrader()
    {
        var (student, id, _) = await ArrangeAsync();
        await GradeAndReleaseAsync(id, 5);

        var requestId = await AsAsync(student.Email, f => f.RequestRegradeAsync(id, "Check 2 failed because of a trailing newline."));
        Assert.Equal(RegradeStatus.Open, Assert.Single(await AsAsync(Grader, f => f.RegradesAsync(id))).Status);
        await AsAsync(Grader, f => f.AnswerRegradeAsync(id, requestId, accepted: true, "Agreed; score raised."));

        var seen = Assert.Single(await AsAsync(student.Email, f => f.RegradesAsync(id)));
        Assert.Equal((RegradeStatus.Resolved, "Agreed; score raised."), (seen.Status, seen.Response));
        var again = await Assert.ThrowsAsync<InvalidInputException>(() => AsAsync(Grader, f => f.AnswerRegradeAsync(id, requestId, false, "no")));
        Assert.Contains("answered already", again.Message);
    }

    [Fact]
    public async Task RegradeRequest_BeforeReleaseTwiceOrByOthers_IsRefused()
    {
        var (student, id, _) = await ArrangeAsync();
        var demo = await portal.DemoAsync();
        var classmate = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);

        var early = await Assert.ThrowsAsync<InvalidInputException>(() => AsAsync(student.Email, f => f.RequestRegradeAsync(id, "please")));
        Assert.Contains("released", early.Message);
        await GradeAndReleaseAsync(id, 5);
        await Assert.ThrowsAsync<InvalidInputException>(() => AsAsync(student.Email, f => f.RequestRegradeAsync(id, "")));
        await AsAsync(student.Email, f => f.RequestRegradeAsync(id, "first"));
        var twice = await Assert.ThrowsAsync<InvalidInputException>(() => AsAsync(student.Email, f => f.RequestRegradeAsync(id, "second")));
        Assert.Contains("open regrade request", twice.Message);
        await Assert.ThrowsAsync<NotFoundException>(() => AsAsync(classmate.Email, f => f.RequestRegradeAsync(id, "me too")));
        await Assert.ThrowsAsync<ForbiddenException>(() => AsAsync(Grader, f => f.RequestRegradeAsync(id, "grader asking")));
        await portal.OtherSchoolAsync();
        await Assert.ThrowsAsync<NotFoundException>(() => AsAsync("teacher@other.test", f => f.RegradesAsync(id), OtherSchool.Slug));
        Assert.Single(await AsAsync(Grader, f => f.RegradesAsync(id)));
    }

    [Fact]
    public async Task AnswerRegrade_ByTheStudent_IsForbidden()
    {
        var (student, id, _) = await ArrangeAsync();
        await GradeAndReleaseAsync(id, 5);
        var requestId = await AsAsync(student.Email, f => f.RequestRegradeAsync(id, "look again"));
        await Assert.ThrowsAsync<ForbiddenException>(() => AsAsync(student.Email, f => f.AnswerRegradeAsync(id, requestId, true, "approved by me")));
        Assert.Equal(RegradeStatus.Open, Assert.Single(await AsAsync(Grader, f => f.RegradesAsync(id))).Status);
    }
}
