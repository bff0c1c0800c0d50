using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Jobs;
using Platform.Web.Storage;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

[Collection(SerialCollection.Name)]
public sealed class JobTests(JobsPortal portal) : IClassFixture<JobsPortal>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private async Task<JobIntent> WaitForIntentAsync(PortalFactory factory, Guid id, Func<JobIntent, bool> done)
    {
        var until = DateTime.UtcNow + Patience;
        while (true)
        {
            var intent = await factory.WithDbAsync(db => db.JobIntents.AsNoTracking().SingleAsync(j => j.Id == id));
            if (done(intent) || DateTime.UtcNow > until)
                return intent;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task UnfinishedIntent_FromBeforeARestart_RunsAfterStart()
    {
        var folder = Path.Combine(Path.GetTempPath(), "webvm-tests", Guid.NewGuid().ToString("N"));
        JobIntent unfinished, finished;
        Guid demoTenant;
        // The first run of the portal records two intents and stops before running them
        // (it has no handler for the kind; the in-memory queue dies with it).
        using (var before = new PortalFactory { DataDirectory = folder, KeepData = true })
        {
            demoTenant = (await before.DemoAsync()).TenantId;
            unfinished = new JobIntent(RecordingJob.KindName, """{"n":1}""", demoTenant);
            finished = new JobIntent(RecordingJob.KindName, """{"n":2}""", demoTenant);
            finished.Completed(DateTimeOffset.UtcNow);
            await before.WithDbAsync(async db => { db.JobIntents.AddRange(unfinished, finished); await db.SaveChangesAsync(); });
        }

        using var after = new JobsPortal { DataDirectory = folder };
        _ = after.Server;
        var run = await after.Recorder.NextAsync(Patience);

        Assert.Equal("""{"n":1}""", run.Payload);
        Assert.Equal(demoTenant, run.TenantId);
        Assert.Equal(demoTenant, run.SelectedTenantId);
        var intent = await WaitForIntentAsync(after, unfinished.Id, i => i.CompletedAt is not null);
        Assert.NotNull(intent.CompletedAt);
        Assert.Equal(1, intent.Attempts);
        // The finished intent is not run again.
        await Task.Delay(500);
        Assert.False(after.Recorder.Runs.Reader.TryRead(out var extra), $"Also ran {extra?.Payload}");
    }

    [Fact]
    public async Task EnqueueAsync_RunsTheJobInItsTenantAndMarksItDone()
    {
        var demo = await portal.DemoAsync();
        while (portal.Recorder.Runs.Reader.TryRead(out _)) { }

        var id = await portal.AsAsync(PortalFactory.Demo, (string?)null, s => s.GetRequiredService<JobQueue>().EnqueueAsync(RecordingJob.KindName, new { n = 3 }, demo.TenantId));
        var run = await portal.Recorder.NextAsync(Patience);

        Assert.Equal(3, JsonDocument.Parse(run.Payload).RootElement.GetProperty("n").GetInt32());
        Assert.Equal(demo.TenantId, run.SelectedTenantId);
        Assert.NotNull((await WaitForIntentAsync(portal, id, i => i.CompletedAt is not null)).CompletedAt);
    }

    [Fact]
    public async Task FailingJob_RecordsTheErrorAndStaysUnfinished()
    {
        var id = await portal.AsAsync(null, (string?)null, s => s.GetRequiredService<JobQueue>().EnqueueAsync(RecordingJob.KindName, new { fail = true }, null));

        var intent = await WaitForIntentAsync(portal, id, i => i.LastError is not null);

        Assert.Equal("The recording job was told to fail.", intent.LastError);
        Assert.Null(intent.CompletedAt);
        Assert.True(intent.Attempts >= 1);
    }

    [Fact]
    public async Task CleanupStaleUploads_RemovesDayOldUploads_KeepsFreshOnes()
    {
        var demo = await portal.DemoAsync();
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId);
        var staging = portal.Services.GetRequiredService<UploadStaging>();
        PendingUpload Upload(string clientId) => new(assignment, student.Id, clientId, [new PendingUploadFile { Path = "a.txt", Size = 10, Sha256 = new string('0', 64) }]);
        var stale = Upload("stale");
        var fresh = Upload("fresh");
        await portal.WithDbAsync(async db =>
        {
            db.PendingUploads.AddRange(stale, fresh);
            db.Entry(stale).Property(u => u.StartedAt).CurrentValue = portal.Clock.GetUtcNow().AddDays(-2);
            db.Entry(fresh).Property(u => u.StartedAt).CurrentValue = portal.Clock.GetUtcNow().AddHours(-1);
            await db.SaveChangesAsync();
        });
        var orphan = Guid.NewGuid();
        foreach (var id in new[] { stale.Id, fresh.Id, orphan })
            await staging.AppendAsync(id, 0, [1, 2, 3], CancellationToken.None);

        await using var scope = portal.Services.CreateAsyncScope();
        var removed = await scope.ServiceProvider.GetRequiredService<CleanupStaleUploads>().RunAsync(CancellationToken.None);

        var left = await portal.WithDbAsync(db => db.PendingUploads.IgnoreQueryFilters().Where(u => u.StudentId == student.Id).Select(u => u.Id).ToListAsync());
        Assert.Equal([fresh.Id], left);
        Assert.Equal(0, staging.Length(stale.Id, 0));
        Assert.Equal(0, staging.Length(orphan, 0));
        Assert.Equal(3, staging.Length(fresh.Id, 0));
        Assert.Equal(2, removed);
    }
}
