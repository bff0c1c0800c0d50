using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;

namespace Platform.Web.Jobs;

/// <summary>A kind of background work; runs with the intent's payload and lets failures propagate so Hangfire retries.</summary>
public interface IPlatformJob
{
    string Kind { get; }
    Task RunAsync(JsonElement payload, Guid? tenantId, CancellationToken cancellationToken);
}

/// <summary>
/// Queues work so that nothing is lost across a restart: the intent is written to the database first,
/// then handed to Hangfire; start-up hands every unfinished intent to Hangfire again.
/// </summary>
public sealed class JobQueue(IDbContextFactory<PlatformDbContext> contexts, IBackgroundJobClient hangfire)
{
    public async Task<Guid> EnqueueAsync(string kind, object payload, Guid? tenantId, CancellationToken cancellationToken = default)
    {
        var intent = new JobIntent(kind, JsonSerializer.Serialize(payload), tenantId);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.JobIntents.Add(intent);
            await db.SaveChangesAsync(cancellationToken);
        }
        hangfire.Enqueue<JobRunner>(runner => runner.RunAsync(intent.Id, CancellationToken.None));
        return intent.Id;
    }

    /// <summary>Re-enqueues intents that never completed (the in-memory queue was lost with the process).</summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var unfinished = await db.JobIntents.Where(j => j.CompletedAt == null).Select(j => j.Id).ToListAsync(cancellationToken);
        foreach (var id in unfinished)
            hangfire.Enqueue<JobRunner>(runner => runner.RunAsync(id, CancellationToken.None));
        return unfinished.Count;
    }
}
