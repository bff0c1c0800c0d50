using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Features.Autograding;
using Platform.Web.Tenancy;
using Platform.Web.Tests.Infrastructure;
using Vm.Engine.Disk;

namespace Platform.Web.Tests.Features.Autograding;

/// <summary>
/// Asking for a lab image's snapshot, and serving it to the browser. The portal has no guest kernel,
/// so a requested snapshot job fails at once instead of booting a machine beside the other tests.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class LabSnapshotTests : IDisposable
{
    private readonly AutogradePortal portal = new() { Settings = { ["LabImages:GuestDirectory"] = "/nonexistent/guest" } };

    public void Dispose() => portal.Dispose();

    private async Task<Guid> DemoImageAsync() => (await portal.DemoAssignmentAsync("01-files-and-folders")).LabImageId!.Value;

    [Fact]
    public async Task QueueAsync_TwiceForOneVersion_MakesOneRunAndOneJob()
    {
        var demo = await portal.DemoAsync();
        var assignment = await portal.DemoAssignmentAsync("01-files-and-folders");
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, Platform.Data.Entities.CourseRole.Student);
        // Submitting queues the run once; asking again (a retried notification) changes nothing.
        var receipt = await portal.SubmitAsync(student.Email!, assignment.Id, DemoLab.CorrectFilesAndFolders());

        var again = await portal.AsAsync(PortalFactory.Demo, (string?)null, s => s.GetRequiredService<AutogradeService>().QueueAsync(demo.TenantId, receipt.SubmissionId));

        Assert.False(again);
        Assert.Equal(1, await portal.WithDbAsync(db => db.AutogradeRuns.IgnoreQueryFilters().CountAsync(r => r.SubmissionId == receipt.SubmissionId)));
        var jobs = await portal.WithDbAsync(db => db.JobIntents.AsNoTracking().Where(j => j.Kind == AutogradeJob.JobKind).ToListAsync());
        Assert.Single(jobs, j => j.Payload.Contains(receipt.SubmissionId.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task RequestAsync_ByTeacher_QueuesTheSnapshotJob()
    {
        var imageId = await DemoImageAsync();
        await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => s.GetRequiredService<LabSnapshotRequests>().RequestAsync(imageId));
        var intents = await portal.WithDbAsync(db => db.JobIntents.AsNoTracking().Where(j => j.Kind == SnapshotLabImageJob.JobKind).ToListAsync());
        Assert.Contains(intents, j => j.Payload.Contains(imageId.ToString(), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("student@demo.test")]
    [InlineData("grader@demo.test")]
    public async Task RequestAsync_ByNonTeacher_IsForbidden(string email)
    {
        var imageId = await DemoImageAsync();
        await Assert.ThrowsAsync<ForbiddenException>(() => portal.AsAsync(PortalFactory.Demo, email, s => s.GetRequiredService<LabSnapshotRequests>().RequestAsync(imageId)));
    }

    [Fact]
    public async Task RequestAsync_FromOtherSchool_IsToldItDoesNotExist()
    {
        var imageId = await DemoImageAsync();
        await portal.OtherSchoolAsync();
        await Assert.ThrowsAsync<NotFoundException>(() => portal.AsAsync(OtherSchool.Slug, "teacher@other.test", s => s.GetRequiredService<LabSnapshotRequests>().RequestAsync(imageId)));
    }

    [Fact]
    public async Task SnapshotManifest_ServedToCourseMembers_ReadBackByteForByte_AndHiddenFromOthers()
    {
        var imageId = await DemoImageAsync();
        using var student = await portal.SignInAsync("student@demo.test");
        Assert.Equal(HttpStatusCode.NotFound, (await student.GetAsync($"t/demo/images/{imageId}/snapshot/manifest.json")).StatusCode);

        var snapshot = new byte[300_000];
        new Random(7).NextBytes(snapshot.AsSpan(0, 1000));
        var hash = await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test",
            s => s.GetRequiredService<LabSnapshots>().SaveAsync(imageId, "boot-key-for-test", snapshot, CancellationToken.None));

        var response = await student.GetAsync($"t/demo/images/{imageId}/snapshot/manifest.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("boot-key-for-test", response.Headers.GetValues("X-Snapshot-Boot-Key").Single());
        var manifest = ImageManifest.ParseVerified(await response.Content.ReadAsByteArrayAsync(), hash);
        Assert.Equal(snapshot.Length, manifest.Size);
        var readBack = await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => Task.FromResult(s.GetRequiredService<LabSnapshots>().Read(hash)));
        Assert.Equal(snapshot, readBack);
        // Stale: a run for another boot does not get it.
        Assert.Null(await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => s.GetRequiredService<LabSnapshots>().FindAsync(imageId, "another-boot", CancellationToken.None)));

        await portal.OtherSchoolAsync();
        using var other = await portal.SignInAsync("teacher@other.test", OtherSchool.Slug);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"t/other/images/{imageId}/snapshot/manifest.json")).StatusCode);
    }
}
