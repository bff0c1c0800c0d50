using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Features.LabImages;
using Platform.Web.Jobs;
using Platform.Web.Storage;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// Runs the assignment's checks on one submission version in its lab machine and records the run.
/// Idempotent: a finished run is not run again. A student's failure (failing checks, a loop, a
/// crash of their program) is a result, recorded once; an infrastructure failure is thrown so
/// Hangfire retries, until <see cref="AutogradeOptions.MaxAttempts"/> makes it final. A portal
/// shutdown cancels the machine and leaves the run to the next start.
/// </summary>
public sealed class AutogradeJob(IDbContextFactory<PlatformDbContext> contexts, IFileStore files, LabMachines machines, LabSnapshots snapshots,
    AutogradeSlots slots, IOptions<AutogradeOptions> options, TimeProvider clock, Vm.Engine.Disk.ImageStore images, ILogger<AutogradeJob> logger) : IPlatformJob
{
    public const string JobKind = "autograde";
    public sealed record Payload(Guid SubmissionId);

    public string Kind => JobKind;

    public async Task RunAsync(JsonElement payload, Guid? tenantId, CancellationToken cancellationToken)
    {
        var submissionId = payload.Deserialize<Payload>()?.SubmissionId ?? throw new InvalidOperationException("The autograde job names no submission.");
        var settings = options.Value;
        using var slot = await slots.TakeAsync(cancellationToken);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.AutogradeRuns.SingleOrDefaultAsync(r => r.SubmissionId == submissionId, cancellationToken);
        if (run is null || run.IsFinished)
            return;
        var submission = await db.Submissions.AsNoTracking().Include(s => s.Files).Include(s => s.Assignment).ThenInclude(a => a!.LabImage)
            .SingleAsync(s => s.Id == submissionId, cancellationToken);
        var assignment = submission.Assignment!;

        run.Start(clock.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        var consoleLog = "";
        try
        {
            if (assignment.LabImage is not { } image)
                throw new AutogradeUnsupportedException("The assignment has no lab image to run its checks in.");
            var spec = machines.Resolve(image, out var whyNot) ?? throw new AutogradeInfrastructureException(whyNot ?? "The lab image cannot boot.");
            var (kernel, initrd, bootKey) = LabSnapshots.LoadBoot(spec);
            var snapshot = settings.UseSnapshots ? await snapshots.FindAsync(image.Id, bootKey, cancellationToken) : null;
            var request = new CheckRunRequest(spec, kernel, initrd, await ReadFilesAsync(submission, cancellationToken), assignment.Checks,
                snapshot, TakeSnapshot: settings.UseSnapshots && snapshot is null,
                TimeSpan.FromSeconds(settings.MaxRunSeconds), TimeSpan.FromSeconds(settings.BootSeconds), settings.ConsoleLogChars, settings.CheckOutputChars, images);

            // The machine is CPU-bound for minutes: a thread of its own, not a pool thread.
            var outcome = await Task.Factory.StartNew(() => CheckRunner.Run(request, cancellationToken), cancellationToken,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
            consoleLog = outcome.ConsoleLog;
            if (outcome.NewSnapshot is { } taken)
                await snapshots.SaveAsync(image.Id, bootKey, taken, cancellationToken);
            run.Finish(outcome.StoppedAtLimit, outcome.Results, outcome.UsedSnapshot, outcome.Summary, outcome.ConsoleLog, clock.GetUtcNow());
            await db.SaveChangesAsync(CancellationToken.None);
            logger.LogInformation("Autograded submission {SubmissionId}: {Score}/{Max} ({Summary})", submissionId, run.Score, run.MaxScore, run.Summary);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // Shutting down: the run stays Running, and the job intent is run again at the next start.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var final = e is AutogradeUnsupportedException || run.Attempts >= settings.MaxAttempts;
            run.Fail($"The autograder could not run the checks: {e.Message}", consoleLog, final, clock.GetUtcNow());
            await db.SaveChangesAsync(CancellationToken.None);
            if (final)
            {
                logger.LogWarning(e, "Autograding submission {SubmissionId} failed for good after {Attempts} attempts", submissionId, run.Attempts);
                return;
            }
            throw; // Infrastructure: Hangfire retries.
        }
    }

    private async Task<IReadOnlyList<SubmissionBundle.File>> ReadFilesAsync(Submission submission, CancellationToken cancellationToken)
    {
        var list = new List<SubmissionBundle.File>();
        foreach (var f in submission.Files)
        {
            await using var stream = files.OpenRead(f.StorageKey);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken);
            list.Add(new SubmissionBundle.File(f.Path, copy.ToArray()));
        }
        return list;
    }
}
