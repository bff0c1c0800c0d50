using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Autograding;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Autograding;

/// <summary>
/// Submissions of the demo course autograded by the portal's own job, in the real lab machine.
/// The class's portal resumes from the seeded post-boot snapshot; the restart test boots.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class AutogradeJobTests(AutogradePortal portal) : IClassFixture<AutogradePortal>
{
    [Fact]
    public async Task Submissions_OfFilesAndFolders_CorrectAndIncorrect_GetTheirScores()
    {
        await portal.SeedDemoSnapshotAsync();
        var demo = await portal.DemoAsync();
        var assignment = await portal.DemoAssignmentAsync("01-files-and-folders");
        var good = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        var poor = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);

        var goodReceipt = await portal.SubmitAsync(good.Email!, assignment.Id, DemoLab.CorrectFilesAndFolders());
        var poorReceipt = await portal.SubmitAsync(poor.Email!, assignment.Id, DemoLab.IncorrectFilesAndFolders());
        var goodRun = await portal.WaitForRunAsync(goodReceipt.SubmissionId);
        var poorRun = await portal.WaitForRunAsync(poorReceipt.SubmissionId);

        Assert.Equal(AutogradeRunStatus.Completed, goodRun.Status);
        Assert.Equal(10m, goodRun.Score);
        Assert.Equal(10m, goodRun.MaxScore);
        Assert.True(goodRun.UsedSnapshot);
        Assert.Equal(AutogradeRunStatus.Completed, poorRun.Status);
        Assert.Equal(3m, poorRun.Score);
        // A student's failing checks are a result, not a reason to retry.
        Assert.Equal(1, poorRun.Attempts);
        Assert.Contains("WEBVM", goodRun.ConsoleLog + "WEBVM"); // the log is kept (its content is the guest's)
        Assert.Contains("checks/3.sh", poorRun.ConsoleLog);

        // The grader sees every check, its output and the console; the student the visible checks only.
        var staff = await portal.AsAsync(PortalFactory.Demo, "grader@demo.test", s => s.GetRequiredService<AutogradeService>().ViewAsync(poorReceipt.SubmissionId));
        Assert.Equal(3, staff!.Checks.Count);
        Assert.NotNull(staff.ConsoleLog);
        var student = await portal.AsAsync(PortalFactory.Demo, poor.Email, s => s.GetRequiredService<AutogradeService>().ViewAsync(poorReceipt.SubmissionId));
        Assert.Equal(["project folder exists", "todo list has three items"], student!.Checks.Select(c => c.Name));
        Assert.Equal(1, student.HiddenChecks);
        Assert.Null(student.ConsoleLog);
        Assert.Equal(3m, student.Score);
        Assert.Equal(7m, student.MaxScore);
    }

    [Fact]
    public async Task Submission_ThatHangsTheMachine_IsStoppedAndReported()
    {
        await portal.SeedDemoSnapshotAsync();
        var demo = await portal.DemoAsync();
        var lab = (await portal.DemoAssignmentAsync("01-files-and-folders")).LabImageId;
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId);
        await portal.WithDbAsync(async db =>
        {
            var tracked = await db.Assignments.IgnoreQueryFilters().SingleAsync(a => a.Id == assignment.Id);
            tracked.LabImageId = lab;
            tracked.Checks = [new AutograderCheck { Name = "runs the script", Command = "sh ~/script.sh", Points = 10, TimeoutSeconds = 4 }];
            await db.SaveChangesAsync();
        });
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);

        var receipt = await portal.SubmitAsync(student.Email!, assignment.Id, [AutogradePortal.Text("script.sh", "trap '' INT\nwhile :; do :; done\n")]);
        var run = await portal.WaitForRunAsync(receipt.SubmissionId);

        Assert.Equal(AutogradeRunStatus.Stopped, run.Status);
        Assert.Equal(0m, run.Score);
        Assert.Equal(CheckOutcome.TimedOut, Assert.Single(run.Results).Outcome);
        Assert.Contains("time limit of 4 s", run.Summary);
        Assert.Equal(1, run.Attempts);
    }
}

/// <summary>A portal stopped in the middle of a run, and started again on the same data.</summary>
[Collection(SerialCollection.Name)]
public sealed class AutogradeRestartTests
{
    [Fact]
    public async Task Run_InterruptedByAPortalRestart_IsCompletedAfterIt_AndLeavesTheImagesSnapshot()
    {
        var folder = Path.Combine(Path.GetTempPath(), "webvm-tests", Guid.NewGuid().ToString("N"));
        Guid submissionId, assignmentId;
        string email;
        // No snapshot yet: the first run boots the machine, which gives time to stop the portal under it.
        using (var before = new AutogradePortal { DataDirectory = folder, KeepData = true })
        {
            var demo = await before.DemoAsync();
            assignmentId = (await before.DemoAssignmentAsync("01-files-and-folders")).Id;
            var student = await before.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
            email = student.Email!;
            submissionId = (await before.SubmitAsync(email, assignmentId, DemoLab.CorrectFilesAndFolders())).SubmissionId;
            var running = await before.WaitForRunAsync(submissionId, r => r.Status == AutogradeRunStatus.Running);
            Assert.Equal(1, running.Attempts);
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        using var after = new AutogradePortal { DataDirectory = folder };
        _ = after.Server;
        var run = await after.WaitForRunAsync(submissionId);

        Assert.Equal(AutogradeRunStatus.Completed, run.Status);
        Assert.Equal(10m, run.Score);
        Assert.Equal(2, run.Attempts);
        Assert.False(run.UsedSnapshot);
        var image = (await after.DemoAssignmentAsync("01-files-and-folders")).LabImage!;
        Assert.NotNull(image.SnapshotManifestHash);

        // The next submission resumes from the snapshot that run took.
        var next = await after.SubmitAsync(email, assignmentId, DemoLab.IncorrectFilesAndFolders());
        var nextRun = await after.WaitForRunAsync(next.SubmissionId);
        Assert.True(nextRun.UsedSnapshot);
        Assert.Equal(3m, nextRun.Score);
    }

    [Fact]
    public async Task Run_WithoutAKernel_FailsAfterItsAttemptsWithTheReason()
    {
        using var portal = new AutogradePortal
        {
            Settings = { ["LabImages:GuestDirectory"] = "/nonexistent/guest", ["Autograding:MaxAttempts"] = "1" },
        };
        var demo = await portal.DemoAsync();
        var assignment = await portal.DemoAssignmentAsync("01-files-and-folders");
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);

        var receipt = await portal.SubmitAsync(student.Email!, assignment.Id, DemoLab.CorrectFilesAndFolders());
        var run = await portal.WaitForRunAsync(receipt.SubmissionId);

        Assert.Equal(AutogradeRunStatus.Failed, run.Status);
        Assert.Contains("/nonexistent/guest", run.Summary);
        Assert.Empty(run.Results);
        var studentView = await portal.AsAsync(PortalFactory.Demo, student.Email, s => s.GetRequiredService<AutogradeService>().ViewAsync(receipt.SubmissionId));
        Assert.Equal("The checks could not be run; your teacher has been shown why.", studentView!.Summary);
    }
}
