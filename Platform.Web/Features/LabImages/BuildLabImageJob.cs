using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Features.Autograding;
using Platform.Web.Jobs;
using Vm.Engine.Disk;
using Vm.ImageBuilder;
using Microsoft.Extensions.Options;

namespace Platform.Web.Features.LabImages;

/// <summary>
/// Builds a lab image from its recipe with the image builder library (the CLI's code): debootstrap,
/// mke2fs, chunks into the portal's image store. Progress and log go to the <see cref="LabImage"/> row
/// about once a second. A recipe or tool failure marks the image Failed with its log and is not retried
/// (it would fail the same way); the image published before stays published. Anything else is retried.
/// A successful build queues the post-boot snapshot job, so autograding of every built image starts from a booted machine.
/// </summary>
public sealed class BuildLabImageJob(IDbContextFactory<PlatformDbContext> contexts, ImageStore store, IProcessRunner processes,
    IOptions<LabImageOptions> options, TimeProvider clock, JobQueue jobs, ILogger<BuildLabImageJob> logger) : IPlatformJob
{
    public const string JobKind = "build-lab-image";
    public sealed record Payload(Guid LabImageId);

    public string Kind => JobKind;

    public async Task RunAsync(JsonElement payload, Guid? tenantId, CancellationToken cancellationToken)
    {
        var labImageId = payload.Deserialize<Payload>()?.LabImageId ?? throw new InvalidOperationException("The build names no lab image.");
        string recipeText;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var image = await db.LabImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == labImageId, cancellationToken);
            // Idempotent: a build that finished (or was never asked for) is not run again.
            if (image is null || image.Status != LabImageStatus.Building)
                return;
            recipeText = image.Recipe;
        }

        var reporter = new RecordingReporter();
        using var stop = new CancellationTokenSource();
        var saver = SaveProgressAsync(labImageId, reporter, stop.Token);
        try
        {
            var recipe = Recipe.Parse(recipeText);
            var builder = new ImageBuilder(store, reporter, processes);
            var result = await builder.FromRecipeAsync(recipe, new BuildOptions { Mirror = options.Value.Mirror }, cancellationToken);
            await stop.CancelAsync();
            await saver;
            await UpdateAsync(labImageId, image => image.BuildSucceeded(result.ManifestHash, result.Manifest.Size, reporter.Text(), clock.GetUtcNow()));
            await jobs.EnqueueAsync(SnapshotLabImageJob.JobKind, new SnapshotLabImageJob.Payload(labImageId), tenantId, CancellationToken.None);
        }
        catch (ImageBuildException e)
        {
            await stop.CancelAsync();
            await saver;
            reporter.Log($"error: {e.Message}");
            await UpdateAsync(labImageId, image => image.BuildFailed(reporter.Text()));
            logger.LogInformation("Lab image {LabImageId} failed to build: {Reason}", labImageId, e.Message);
        }
        catch (Exception e)
        {
            await stop.CancelAsync();
            await saver;
            // Unexpected: keep the log, stay Building, and let Hangfire retry.
            reporter.Log($"attempt failed ({e.GetType().Name}: {e.Message}); retrying");
            await UpdateAsync(labImageId, image => image.ReportBuild("Retrying", image.BuildPercent, reporter.Text()));
            throw;
        }
    }

    private async Task SaveProgressAsync(Guid labImageId, RecordingReporter reporter, CancellationToken stop)
    {
        var saved = -1L;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop);
                if (reporter.Version == saved)
                    continue;
                saved = reporter.Version;
                var (stage, percent) = reporter.Current;
                await UpdateAsync(labImageId, image => image.ReportBuild(stage, percent, reporter.Text()));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task UpdateAsync(Guid labImageId, Action<LabImage> change)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        var image = await db.LabImages.SingleAsync(i => i.Id == labImageId, CancellationToken.None);
        change(image);
        await db.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>Keeps the stage, the percentage and the last 64 KiB of log lines for the page to show.</summary>
    private sealed class RecordingReporter : IBuildReporter
    {
        private const int MaxLogChars = 64 * 1024;
        private readonly Lock gate = new();
        private readonly LinkedList<string> lines = new();
        private int chars;
        private string stage = "Starting";
        private int percent;
        private long version;

        public long Version { get { lock (gate) return version; } }
        public (string Stage, int Percent) Current { get { lock (gate) return (stage, percent); } }

        public void Stage(string value)
        {
            lock (gate)
            {
                if (stage == value)
                    return;
                stage = value;
                AddLine($"== {value}");
            }
        }

        public void Progress(double fraction)
        {
            lock (gate)
            {
                percent = (int)Math.Clamp(fraction * 100, 0, 100);
                version++;
            }
        }

        public void Log(string line)
        {
            lock (gate)
                AddLine(line);
        }

        private void AddLine(string line)
        {
            lines.AddLast(line);
            chars += line.Length + 1;
            while (chars > MaxLogChars && lines.First is { } first)
            {
                chars -= first.Value.Length + 1;
                lines.RemoveFirst();
            }
            version++;
        }

        public string Text()
        {
            lock (gate)
            {
                var text = new StringBuilder();
                foreach (var line in lines)
                    text.Append(line).Append('\n');
                return text.ToString();
            }
        }
    }
}
