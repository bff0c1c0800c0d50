using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Assignments;
using Platform.Web.Features.Grading;
using Platform.Web.Features.Submissions;
using Platform.Web.Tenancy;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Grading;

public sealed class GradingTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly RubricCriterion[] Rubric =
    [
        new() { Title = "Structure", Points = 5 },
        new() { Title = "Content", Points = 5 },
    ];

    /// <summary>A student of the demo course with one on-time submission to a fresh assignment with a two-part rubric.</summary>
    private async Task<(PlatformUser Student, Assignment Assignment, Guid SubmissionId)> ArrangeAsync(string? studentName = null, DateTimeOffset? dueAt = null)
    {
        var demo = await portal.DemoAsync();
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student, name: studentName);
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, dueAt, rubric: Rubric);
        var receipt = await portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<SubmissionService>().SubmitAsync(
            assignment.Id, "g-1", [new IncomingFile("a.c", () => new MemoryStream("int a;\n"u8.ToArray()))], SubmissionSource.Upload));
        return (student, assignment, receipt.SubmissionId);
    }

    private Task GradeAsync(Guid submissionId, decimal[] points, bool release = false) =>
        portal.AsAsync(PortalFactory.Demo, "grader@demo.test", s => s.GetRequiredService<GradingService>().GradeAsync(submissionId, points, "Well done", release));

    private Task<Grade> GradeOfAsync(Guid submissionId) =>
        portal.WithDbAsync(db => db.Grades.IgnoreQueryFilters().AsNoTracking().SingleAsync(g => g.SubmissionId == submissionId));

    [Fact]
    public async Task GradeAsync_WithRubricPoints_ScoresTheirSum()
    {
        var (_, _, submissionId) = await ArrangeAsync();

        await GradeAsync(submissionId, [4, 5]);

        var grade = await GradeOfAsync(submissionId);
        Assert.Equal(9, grade.Score);
        Assert.Equal(0, grade.LatePenaltyPercent);
        Assert.Equal(["Structure:4/5", "Content:5/5"], grade.RubricScores.Select(r => $"{r.Criterion}:{r.Points:0}/{r.MaxPoints:0}"));
        Assert.Equal((await portal.FindUserAsync("grader@demo.test")).Id, grade.GraderId);
        Assert.False(grade.IsReleased);
    }

    [Fact]
    public async Task GradeAsync_LateSubmission_TakesThePolicysPenalty()
    {
        // Due 2 days and an hour ago (late work taken for 3 days): three started days, 10% a day.
        var (_, _, submissionId) = await ArrangeAsync(dueAt: portal.Clock.GetUtcNow().AddDays(-2).AddHours(-1));

        await GradeAsync(submissionId, [5, 5]);

        var grade = await GradeOfAsync(submissionId);
        Assert.Equal(30, grade.LatePenaltyPercent);
        Assert.Equal(7, grade.Score);
    }

    [Theory]
    // The maximum prints as stored ("5.0" from SQLite); the test pins the words, not the format.
    [InlineData(6, 5, "'Structure' takes 0 to 5")]
    [InlineData(5, -1, "'Content' takes 0 to 5")]
    public async Task GradeAsync_PointsOutOfRange_NamesTheCriterion(int structure, int content, string message)
    {
        var (_, _, submissionId) = await ArrangeAsync();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => GradeAsync(submissionId, [structure, content]));

        Assert.IsNotType<ForbiddenException>(error);
        Assert.StartsWith(message, error.Message);
        Assert.EndsWith(" points.", error.Message);
        Assert.False(await portal.WithDbAsync(db => db.Grades.IgnoreQueryFilters().AnyAsync(g => g.SubmissionId == submissionId)));
    }

    [Fact]
    public async Task GradeAsync_WrongNumberOfCriteria_SaysHowMany()
    {
        var (_, _, submissionId) = await ArrangeAsync();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => GradeAsync(submissionId, [5]));

        Assert.Equal("Give points for each of the 2 rubric criteria.", error.Message);
    }

    [Fact]
    public async Task Student_SeesGradeOnlyAfterRelease()
    {
        var (student, assignment, submissionId) = await ArrangeAsync();
        await GradeAsync(submissionId, [3, 4]);

        var before = await portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<AssignmentService>().GetAsync(assignment.Id));
        var detailBefore = await portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<GradingService>().SubmissionAsync(submissionId));
        var released = await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => s.GetRequiredService<GradingService>().ReleaseAllAsync(assignment.Id));
        var after = await portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<AssignmentService>().GetAsync(assignment.Id));
        var detailAfter = await portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<GradingService>().SubmissionAsync(submissionId));

        Assert.Null(Assert.Single(before.MySubmissions).ReleasedScore);
        Assert.Null(detailBefore.VisibleGrade);
        Assert.Equal(AssignmentStatus.Submitted, before.MyStatus);
        Assert.Equal(1, released);
        Assert.Equal(7, Assert.Single(after.MySubmissions).ReleasedScore);
        Assert.Equal(7, detailAfter.VisibleGrade?.Score);
        Assert.Equal(AssignmentStatus.Graded, after.MyStatus);
    }

    [Fact]
    public async Task GradebookCsv_HasHeaderAndTheStudentsScore()
    {
        var (student, assignment, submissionId) = await ArrangeAsync("Gina Gradebook");
        await GradeAsync(submissionId, [4, 4.5m]);
        using var teacher = await portal.SignInAsync("teacher@demo.test");
        var demo = await portal.DemoAsync();

        var response = await teacher.GetAsync($"t/demo/courses/{demo.CourseId}/gradebook.csv");
        var lines = (await response.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split(["\r\n", "\n"], StringSplitOptions.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("Student,Email,Cohort,", lines[0]);
        Assert.EndsWith(",Total", lines[0]);
        var header = lines[0].Split(',');
        // Points as a person writes them: "(10)", not the stored scale "(10.0)".
        var column = Array.FindIndex(header, h => h == $"{assignment.Title} (10)");
        Assert.True(column > 0, lines[0]);
        var row = lines.Single(l => l.Contains(student.Email!, StringComparison.Ordinal)).Split(',');
        Assert.Equal("Gina Gradebook", row[0]);
        Assert.Equal("8.5", row[column]);
        Assert.Equal("8.5", row[^1]);
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\",\"click\")")]
    [InlineData("+cmd|' /C calc'!A0")]
    [InlineData("@SUM(1+1)")]
    [InlineData("-2+3+cmd|' /C calc'!A0")]
    public async Task GradebookCsv_FormulaInName_IsNeutralised(string name)
    {
        var (student, _, _) = await ArrangeAsync(name);
        var demo = await portal.DemoAsync();

        var book = await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => s.GetRequiredService<GradingService>().GradebookAsync(demo.CourseId));
        var csv = GradingService.ToCsv(book);

        var line = csv.Split('\n').Single(l => l.Contains(student.Email!, StringComparison.Ordinal));
        var firstCell = line.StartsWith('"') ? line[1..] : line;
        Assert.StartsWith("'" + name[0], firstCell);
        Assert.DoesNotContain(csv.Split('\n'), l => l.Length > 0 && "=+-@".Contains(l.TrimStart('"')[0]) && !l.StartsWith("\"'", StringComparison.Ordinal) && l.Contains(student.Email!, StringComparison.Ordinal));
    }
}
