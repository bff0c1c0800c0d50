using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Web.Features.LabImages;
using Platform.Web.Jobs;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// Boots a lab image to its shell and stores the machine as the image's post-boot snapshot, which
/// autograde runs resume from; then boots it again in the browser's configuration to the session wait (<see cref="Labs.LabResumeSnapshots"/>). Two
/// snapshots because the machines differ: the autograder's has no home disk or session port and runs
/// to the shell. Idempotent: each is made only when the image has none of its current boot.
/// Failures propagate for Hangfire to retry.
/// </summary>
public sealed class SnapshotLabImageJob(IDbContextFactory<PlatformDbContext> contexts, LabMachines machines, LabSnapshots snapshots,
    AutogradeSlots slots, IOptions<AutogradeOptions> options, Vm.Engine.Disk.ImageStore images, Labs.LabResumeSnapshots resume,
    TimeProvider clock) : IPlatformJob
{
    public const string JobKind = "snapshot-lab-image";
    public sealed record Payload(Guid LabImageId);

    public string Kind => JobKind;

    public async Task RunAsync(JsonElement payload, Guid? tenantId, CancellationToken cancellationToken)
    {
        var labImageId = payload.Deserialize<Payload>()?.LabImageId ?? throw new InvalidOperationException("The snapshot job names no lab image.");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.LabImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == labImageId, cancellationToken);
        if (image is null)
            return;
        var spec = machines.Resolve(image, out var whyNot) ?? throw new InvalidOperationException(whyNot);
        await MakeResumeSnapshotAsync(spec, cancellationToken);
        var (kernel, initrd, bootKey) = LabSnapshots.LoadBoot(spec);
        if (image.SnapshotBootKey == bootKey && image.SnapshotManifestHash is { } hash && snapshots.Read(hash) is not null)
            return;
        using var slot = await slots.TakeAsync(cancellationToken);
        var snapshot = await Task.Factory.StartNew(() =>
        {
            var started = LabBoot.Start(spec, kernel, initrd, null, takeSnapshot: true, TimeSpan.FromSeconds(options.Value.BootSeconds), 4096, cancellationToken, images);
            started.Console.Machine.Dispose();
            return started.NewSnapshot!;
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await snapshots.SaveAsync(labImageId, bootKey, snapshot, cancellationToken);
    }

    private async Task MakeResumeSnapshotAsync(LabImages.LabMachineSpec spec, CancellationToken cancellationToken)
    {
        var key = resume.BootKey(spec);
        if (resume.Find(key) is not null)
            return;
        using var slot = await slots.TakeAsync(cancellationToken);
        var taken = await Task.Factory.StartNew(() => resume.Take(spec, key, TimeSpan.FromSeconds(options.Value.BootSeconds), cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        resume.Save(key, taken, clock.GetUtcNow(), cancellationToken);
    }
}
