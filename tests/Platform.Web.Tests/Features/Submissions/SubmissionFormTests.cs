using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Assignments;
using Platform.Web.Features.Grading;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Submissions;

/// <summary>The upload form (multipart POST with the antiforgery token), each test with a student and assignment of its own.</summary>
public sealed class SubmissionFormTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<(PlatformUser Student, Assignment Assignment, PortalClient Client)> ArrangeAsync(DateTimeOffset? dueAt = null, int acceptDaysLate = 3, decimal penaltyPerDay = 10)
    {
        var demo = await portal.DemoAsync();
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, dueAt, acceptDaysLate, penaltyPerDay);
        var client = await portal.SignInAsync(student.Email!);
        return (student, assignment, client);
    }

    private Task<List<Submission>> SubmissionsOfAsync(Guid studentId) =>
        portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters().Include(s => s.Files).Where(s => s.StudentId == studentId).ToListAsync());

    [Fact]
    public async Task Submit_WithTwoFiles_StoresThemAndStudentSeesVersion1()
    {
        var (student, assignment, client) = await ArrangeAsync();
        var main = Encoding.UTF8.GetBytes("#include <stdio.h>\nint main(void) { puts(\"hi\"); }\n");
        var makefile = Encoding.UTF8.GetBytes("all:\n\tcc -o main main.c\n");

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "form-1", ("main.c", main), ("Makefile", makefile));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("1", PortalClient.QueryOf(response, "submitted"));
        Assert.EndsWith($"/t/demo/assignments/{assignment.Id}", PortalClient.Absolute(response.Headers.Location!).AbsolutePath);
        var view = await portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<AssignmentService>().GetAsync(assignment.Id));
        var mine = Assert.Single(view.MySubmissions);
        Assert.Equal(1, mine.Version);
        Assert.Equal(2, mine.Files);
        Assert.Equal(AssignmentStatus.Submitted, view.MyStatus);
        var stored = Assert.Single(await SubmissionsOfAsync(student.Id));
        var file = stored.Files.Single(f => f.Path == "main.c");
        using var download = await client.GetAsync($"t/demo/submissions/{stored.Id}/files/{file.Id}");
        Assert.Equal(main, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Submit_SameClientIdTwice_KeepsOneSubmission()
    {
        var (student, assignment, client) = await ArrangeAsync();

        var first = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "retry-1", ("a.c", "int a;\n"u8.ToArray()));
        var second = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "retry-1", ("a.c", "int a;\n"u8.ToArray()));

        Assert.Equal("1", PortalClient.QueryOf(first, "submitted"));
        Assert.Equal("1", PortalClient.QueryOf(second, "submitted"));
        var submission = Assert.Single(await SubmissionsOfAsync(student.Id));
        Assert.Equal(1, submission.Version);
    }

    [Fact]
    public async Task Submit_NewClientId_AddsVersion2()
    {
        var (student, assignment, client) = await ArrangeAsync();

        await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "v-1", ("a.c", "int a;\n"u8.ToArray()));
        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "v-2", ("a.c", "int a = 2;\n"u8.ToArray()));

        Assert.Equal("2", PortalClient.QueryOf(response, "submitted"));
        Assert.Equal([1, 2], (await SubmissionsOfAsync(student.Id)).Select(s => s.Version).Order());
    }

    [Fact]
    public async Task Submit_OverSizeLimit_ExplainsAndStoresNothing()
    {
        var (student, assignment, client) = await ArrangeAsync();
        var blobs = Path.Combine(portal.DataDirectory, "files");
        var before = Directory.Exists(blobs) ? Directory.GetFiles(blobs, "*", SearchOption.AllDirectories).Length : 0;

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "big-1", ("big.txt", new byte[20 * 1024 * 1024 + 1]));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("The submission is larger than the limit of 20 MiB.", PortalClient.QueryOf(response, "error"));
        Assert.Empty(await SubmissionsOfAsync(student.Id));
        var after = Directory.Exists(blobs) ? Directory.GetFiles(blobs, "*", SearchOption.AllDirectories).Length : 0;
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Submit_DisallowedFileType_NamesTheTypeAndStoresNothing()
    {
        var (student, assignment, client) = await ArrangeAsync();

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "exe-1", ("main.c", "int a;\n"u8.ToArray()), ("game.exe", [0x4d, 0x5a]));

        Assert.Contains("'game.exe': files of type '.exe' are not accepted", PortalClient.QueryOf(response, "error"));
        Assert.Empty(await SubmissionsOfAsync(student.Id));
    }

    [Theory]
    [InlineData("../x.c")]
    [InlineData("/etc/passwd.txt")]
    [InlineData("a/../../x.c")]
    public async Task Submit_PathEscapingName_IsRefused(string name)
    {
        var (student, assignment, client) = await ArrangeAsync();

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "escape-1", (name, "int a;\n"u8.ToArray()));

        Assert.Contains("is not a valid file name", PortalClient.QueryOf(response, "error"));
        Assert.Empty(await SubmissionsOfAsync(student.Id));
    }

    [Fact]
    public async Task Submit_AfterLateWindow_RefusedWithClosingDate()
    {
        var due = portal.Clock.GetUtcNow().AddDays(-5);
        var (student, assignment, client) = await ArrangeAsync(dueAt: due, acceptDaysLate: 3);

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "late-1", ("a.c", "int a;\n"u8.ToArray()));

        var error = PortalClient.QueryOf(response, "error");
        Assert.Contains($"stopped taking work on {due.AddDays(3):yyyy-MM-dd HH:mm} UTC", error);
        Assert.Empty(await SubmissionsOfAsync(student.Id));
    }

    [Fact]
    public async Task Submit_WithinLateWindow_MarkedLateAndGradePenalised()
    {
        // Due 25 hours ago: two started days late, 10% each.
        var (student, assignment, client) = await ArrangeAsync(dueAt: portal.Clock.GetUtcNow().AddHours(-25), acceptDaysLate: 3, penaltyPerDay: 10);

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "late-ok-1", ("a.c", "int a;\n"u8.ToArray()));
        Assert.Equal("1", PortalClient.QueryOf(response, "submitted"));
        var submission = Assert.Single(await SubmissionsOfAsync(student.Id));
        Assert.True(submission.IsLate);
        Assert.Equal(2, submission.DaysLate);

        await portal.AsAsync(PortalFactory.Demo, "grader@demo.test", s => s.GetRequiredService<GradingService>().GradeAsync(submission.Id, [8], "late", release: true));

        var grade = await portal.WithDbAsync(db => db.Grades.IgnoreQueryFilters().SingleAsync(g => g.SubmissionId == submission.Id));
        Assert.Equal(20, grade.LatePenaltyPercent);
        Assert.Equal(8, grade.RawScore);
        Assert.Equal(6.4m, grade.Score);
    }

    [Fact]
    public async Task Submit_WithoutAntiforgeryToken_IsRefusedAndStoresNothing()
    {
        var (student, assignment, client) = await ArrangeAsync();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("csrf-1"), "clientSubmissionId" },
            { new ByteArrayContent("int a;\n"u8.ToArray()), "files", "a.c" },
        };

        var response = await client.Http.PostAsync($"t/demo/assignments/{assignment.Id}/submit", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await SubmissionsOfAsync(student.Id));
    }

    [Fact]
    public async Task Submit_WellOverTheSizeLimit_StillExplains()
    {
        // Over the form's own body limit (the submission limit plus 1 MiB), not just the service's.
        var (student, assignment, client) = await ArrangeAsync();

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "huge-1", ("huge.txt", new byte[22 * 1024 * 1024]));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("The submission is larger than the limit of 20 MiB.", PortalClient.QueryOf(response, "error"));
        Assert.Empty(await SubmissionsOfAsync(student.Id));
    }

    [Fact]
    public async Task Submit_SameNameTwice_IsRefused()
    {
        var (student, assignment, client) = await ArrangeAsync();

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "dup-1", ("a.c", "int a;\n"u8.ToArray()), ("./a.c", "int b;\n"u8.ToArray()));

        Assert.Equal("'a.c' appears twice.", PortalClient.QueryOf(response, "error"));
        Assert.Empty(await SubmissionsOfAsync(student.Id));
    }

    [Fact]
    public async Task Submit_WithExtension_AcceptedOnTimeAfterTheClassCloses()
    {
        var (student, assignment, client) = await ArrangeAsync(dueAt: portal.Clock.GetUtcNow().AddDays(-10), acceptDaysLate: 0);
        await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => s.GetRequiredService<AssignmentService>()
            .GrantExtensionAsync(assignment.Id, student.Id, portal.Clock.GetUtcNow().AddDays(2), "hospital"));

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "ext-1", ("a.c", "int a;\n"u8.ToArray()));

        Assert.Equal("1", PortalClient.QueryOf(response, "submitted"));
        var submission = Assert.Single(await SubmissionsOfAsync(student.Id));
        Assert.False(submission.IsLate);
    }
}
