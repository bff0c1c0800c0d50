using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Web.Jobs;

namespace Platform.Web.Features.Tailnets;

/// <summary>Makes one cohort's Headscale user and sets the policy. Payload: <c>{ "cohortId": … }</c>.</summary>
public sealed class ProvisionCohortTailnetJob(TailnetProvisioner provisioner) : IPlatformJob
{
    public string Kind => TailnetService.ProvisionKind;

    public Task RunAsync(JsonElement payload, Guid? tenantId, CancellationToken cancellationToken) =>
        provisioner.ProvisionCohortAsync(payload.GetProperty("cohortId").GetGuid(), cancellationToken);
}

/// <summary>Takes an archived cohort's network down: nodes, keys, user, then the policy. Payload: <c>{ "cohortId": … }</c>.</summary>
public sealed class CleanupCohortTailnetJob(TailnetProvisioner provisioner) : IPlatformJob
{
    public string Kind => TailnetService.CleanupKind;

    public Task RunAsync(JsonElement payload, Guid? tenantId, CancellationToken cancellationToken) =>
        provisioner.CleanupCohortAsync(payload.GetProperty("cohortId").GetGuid(), cancellationToken);
}

/// <summary>One school's sweep: users, policy, stale and orphaned nodes.</summary>
public sealed class SweepTailnetJob(TailnetProvisioner provisioner) : IPlatformJob
{
    public string Kind => TailnetService.SweepKind;

    public Task RunAsync(JsonElement payload, Guid? tenantId, CancellationToken cancellationToken) =>
        provisioner.SweepAsync(cancellationToken);
}

/// <summary>
/// Recurring: queues a sweep (through the durable job queue, so it is retried and visible) for each
/// school with a server connected, unless one is still waiting or retrying.
/// </summary>
public sealed class TailnetSweepScheduler(IDbContextFactory<PlatformDbContext> contexts, JobQueue jobs)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Across schools by design: it only reads which schools have a server, and each sweep runs in its school.
        var tenants = await db.TailnetServers.IgnoreQueryFilters().Select(s => s.TenantId).ToListAsync(cancellationToken);
        var busy = await db.JobIntents.Where(j => j.Kind == TailnetService.SweepKind && j.CompletedAt == null && j.TenantId != null)
            .Select(j => j.TenantId!.Value).ToListAsync(cancellationToken);
        var queued = 0;
        foreach (var tenantId in tenants.Except(busy))
        {
            await jobs.EnqueueAsync(TailnetService.SweepKind, new { }, tenantId, cancellationToken);
            queued++;
        }
        return queued;
    }
}
