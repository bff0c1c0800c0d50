using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Features.Tailnets.Headscale;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Tailnets;

/// <summary>
/// Brings Headscale in line with the school's cohorts. Every operation is idempotent (it looks before
/// it creates, and tolerates what is gone already) and lets failures propagate so the job is retried;
/// before it does, the cohort's row records the failure for the network page.
/// </summary>
public sealed class TailnetProvisioner(
    IDbContextFactory<PlatformDbContext> contexts,
    HeadscaleClient headscale,
    TailnetConnections connections,
    RequestTenant tenant,
    TimeProvider clock,
    IOptions<TailnetOptions> options,
    ILogger<TailnetProvisioner> logger)
{
    public async Task ProvisionCohortAsync(Guid cohortId, CancellationToken ct)
    {
        var server = await connections.GetAsync(ct);
        if (server is null)
            return; // Nothing to do until the school connects a server; the sweep picks the cohort up then.
        var cohort = await CohortAsync(cohortId, ct);
        if (cohort is null)
            return;
        if (cohort.ArchivedAt is not null)
        {
            await CleanupCohortAsync(cohortId, ct);
            return;
        }
        await EnsureUserAsync(server, cohort, ct);
        await ApplyPolicyAsync(server, ct);
    }

    public async Task CleanupCohortAsync(Guid cohortId, CancellationToken ct)
    {
        var server = await connections.GetAsync(ct);
        if (server is null)
            return;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var tailnet = await db.CohortTailnets.SingleOrDefaultAsync(t => t.CohortId == cohortId, ct);
        if (tailnet is null || tailnet.State == TailnetState.Removed)
            return;
        await RecordingFailureAsync(db, tailnet, async () =>
        {
            var userId = tailnet.HeadscaleUserId ?? (await headscale.FindUserAsync(server, tailnet.HeadscaleUser, ct))?.Id;
            foreach (var node in await headscale.ListNodesAsync(server, tailnet.HeadscaleUser, ct))
                await IgnoringNotFound(() => headscale.DeleteNodeAsync(server, node.Id, ct));
            if (userId is not null)
            {
                foreach (var key in (await headscale.ListPreAuthKeysAsync(server, ct)).Where(k => k.User?.Id == userId))
                    await IgnoringNotFound(() => headscale.DeletePreAuthKeyAsync(server, key.Id, ct));
                await IgnoringNotFound(() => headscale.DeleteUserAsync(server, userId, ct));
            }
            tailnet.Removed(clock.GetUtcNow());
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Removed the tailnet of cohort {CohortId}", cohortId);
        });
        await ApplyPolicyAsync(server, ct);
    }

    /// <summary>
    /// The recurring pass over one school: every live cohort has its user, archived ones are taken
    /// down, the policy matches, and nodes that are expired, long offline, or belong to a student no
    /// longer in the cohort are removed or expired.
    /// </summary>
    public async Task<SweepResult> SweepAsync(CancellationToken ct)
    {
        var server = await connections.GetAsync(ct);
        if (server is null)
            return new SweepResult(0, 0, 0);
        List<Cohort> cohorts;
        await using (var db = await contexts.CreateDbContextAsync(ct))
            cohorts = await db.Cohorts.AsNoTracking().Include(c => c.Course).ToListAsync(ct);

        var failures = new List<string>();
        foreach (var cohort in cohorts)
        {
            try
            {
                if (cohort.ArchivedAt is null)
                    await EnsureUserAsync(server, cohort, ct);
                else
                    await CleanupCohortAsync(cohort.Id, ct);
            }
            catch (HeadscaleException e)
            {
                failures.Add($"{cohort.Name}: {e.Message}");
            }
        }
        if (failures.Count > 0)
            throw new TailnetSweepException(failures);
        await ApplyPolicyAsync(server, ct);
        var (removed, expired) = await RemoveStaleNodesAsync(server, ct);
        return new SweepResult(cohorts.Count(c => c.ArchivedAt is null), removed, expired);
    }

    public async Task ApplyPolicyAsync(HeadscaleServer server, CancellationToken ct)
    {
        List<PolicyCohort> cohorts;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            cohorts = await db.CohortTailnets
                .Where(t => t.State == TailnetState.Ready && t.Cohort!.ArchivedAt == null)
                .Select(t => new PolicyCohort(t.HeadscaleUser, t.Cohort!.CourseId))
                .ToListAsync(ct);
        }
        var policy = TailnetPolicy.Generate(cohorts);
        string? current = null;
        try
        {
            current = await headscale.GetPolicyAsync(server, ct);
        }
        catch (HeadscaleException e) when (e.Failure is HeadscaleFailure.NotFound or HeadscaleFailure.Rejected)
        {
            // A new server in database mode has no policy yet.
        }
        if (current == policy)
            return;
        await headscale.CheckPolicyAsync(server, policy, ct);
        await headscale.SetPolicyAsync(server, policy, ct);
        logger.LogInformation("Set the tailnet policy of {Tenant}: {Cohorts} cohorts", tenant.Slug, cohorts.Count);
    }

    private async Task EnsureUserAsync(HeadscaleServer server, Cohort cohort, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var tailnet = await db.CohortTailnets.SingleOrDefaultAsync(t => t.CohortId == cohort.Id, ct);
        if (tailnet is null)
        {
            tailnet = new CohortTailnet(cohort, tenant.Slug!, clock.GetUtcNow());
            db.CohortTailnets.Add(tailnet);
            await db.SaveChangesAsync(ct);
        }
        await RecordingFailureAsync(db, tailnet, async () =>
        {
            var user = await headscale.FindUserAsync(server, tailnet.HeadscaleUser, ct)
                ?? await headscale.CreateUserAsync(server, tailnet.HeadscaleUser, $"{cohort.Course?.Code} {cohort.Name}".Trim(), ct);
            if (tailnet.State != TailnetState.Ready || tailnet.HeadscaleUserId != user.Id)
            {
                tailnet.Provisioned(user.Id, clock.GetUtcNow());
                await db.SaveChangesAsync(ct);
            }
        });
    }

    private async Task<(int Removed, int Expired)> RemoveStaleNodesAsync(HeadscaleServer server, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var staleBefore = now - options.Value.StaleNodeAfter;
        var tailnets = await db.CohortTailnets.AsNoTracking().Where(t => t.State == TailnetState.Ready).ToListAsync(ct);
        int removed = 0, expired = 0;
        foreach (var tailnet in tailnets)
        {
            var students = (await db.Enrollments
                .Where(e => e.CohortId == tailnet.CohortId && e.Role == CourseRole.Student)
                .Select(e => e.UserId).ToListAsync(ct)).ToHashSet();
            var owners = await db.TailnetLabKeys.Where(k => k.CohortId == tailnet.CohortId)
                .ToDictionaryAsync(k => k.HeadscaleKeyId, k => k.StudentId, ct);
            foreach (var node in await headscale.ListNodesAsync(server, tailnet.HeadscaleUser, ct))
            {
                if (node.IsExpired(now) || (!node.Online && node.LastSeen is { } seen && seen < staleBefore))
                {
                    await IgnoringNotFound(() => headscale.DeleteNodeAsync(server, node.Id, ct));
                    removed++;
                }
                else if (node.PreAuthKey?.Id is { } keyId && owners.TryGetValue(keyId, out var student) && !students.Contains(student))
                {
                    // The student left the cohort (moved or unenrolled): their machine leaves its network now.
                    await headscale.ExpireNodeAsync(server, node.Id, ct);
                    expired++;
                }
            }
        }
        return (removed, expired);
    }

    private async Task<Cohort?> CohortAsync(Guid cohortId, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Cohorts.AsNoTracking().Include(c => c.Course).SingleOrDefaultAsync(c => c.Id == cohortId, ct);
    }

    private async Task RecordingFailureAsync(PlatformDbContext db, CohortTailnet tailnet, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (HeadscaleException e)
        {
            tailnet.Failed(e.Message, clock.GetUtcNow());
            await db.SaveChangesAsync(CancellationToken.None);
            throw;
        }
    }

    private static async Task IgnoringNotFound(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (HeadscaleException e) when (e.Failure == HeadscaleFailure.NotFound)
        {
            // Gone already: what this step wanted.
        }
    }
}

public sealed record SweepResult(int Cohorts, int NodesRemoved, int NodesExpired);

/// <summary>Some cohorts could not be brought in line; the job fails so Hangfire retries it.</summary>
public sealed class TailnetSweepException(IReadOnlyList<string> failures)
    : Exception("The network server could not be brought in line for " + string.Join("; ", failures));
