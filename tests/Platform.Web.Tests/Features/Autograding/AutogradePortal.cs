using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Autograding;
using Platform.Web.Features.LabImages;
using Platform.Web.Features.Submissions;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Autograding;

/// <summary>The portal with its autograder, and helpers to submit work and wait for its run.</summary>
public class AutogradePortal : PortalFactory
{
    public static readonly TimeSpan RunPatience = TimeSpan.FromMinutes(8);

    /// <summary>Settings for this portal's autograder (and anything else), over the defaults.</summary>
    public Dictionary<string, string?> Settings { get; init; } = [];

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => Settings;

    public async Task<Assignment> DemoAssignmentAsync(string slug) =>
        await WithDbAsync(db => db.Assignments.IgnoreQueryFilters().AsNoTracking().Include(a => a.LabImage).SingleAsync(a => a.Slug == slug));

    /// <summary>Gives the demo lab image the post-boot snapshot <see cref="DemoLab"/> took, as the snapshot job would.</summary>
    public async Task SeedDemoSnapshotAsync()
    {
        var assignment = await DemoAssignmentAsync("01-files-and-folders");
        var image = assignment.LabImage!;
        await AsAsync(Demo, "teacher@demo.test", async services =>
        {
            var spec = services.GetRequiredService<LabMachines>().Resolve(image, out var whyNot) ?? throw new InvalidOperationException(whyNot);
            Assert.Equal(DemoLab.Spec.KernelCommandLine, spec.KernelCommandLine);
            Assert.Equal(DemoLab.Spec.MemoryMiB, spec.MemoryMiB);
            var (_, _, bootKey) = LabSnapshots.LoadBoot(spec);
            await services.GetRequiredService<LabSnapshots>().SaveAsync(image.Id, bootKey, DemoLab.Snapshot, CancellationToken.None);
        });
    }

    public Task<SubmissionReceipt> SubmitAsync(string studentEmail, Guid assignmentId, IEnumerable<SubmissionBundle.File> files) =>
        AsAsync(Demo, studentEmail, s => s.GetRequiredService<SubmissionService>().SubmitAsync(assignmentId, Guid.NewGuid().ToString("N"),
            files.Select(f => new IncomingFile(f.Path, () => new MemoryStream(f.Content))).ToList(), SubmissionSource.LabMachine));

    public async Task<AutogradeRun> WaitForRunAsync(Guid submissionId, Func<AutogradeRun, bool>? until = null)
    {
        until ??= r => r.IsFinished;
        var deadline = DateTime.UtcNow + RunPatience;
        while (true)
        {
            var run = await WithDbAsync(db => db.AutogradeRuns.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(r => r.SubmissionId == submissionId));
            if (run is not null && until(run))
                return run;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"The run of {submissionId} did not get there within {RunPatience}: {run?.Status} {run?.Summary}\n{run?.ConsoleLog}");
            await Task.Delay(250);
        }
    }

    public static SubmissionBundle.File Text(string path, string text) => new(path, Encoding.UTF8.GetBytes(text));
}
