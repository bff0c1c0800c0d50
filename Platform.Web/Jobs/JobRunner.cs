using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Web.Tenancy;

namespace Platform.Web.Jobs;

/// <summary>What Hangfire calls: loads the intent, runs its job in the intent's tenant, marks it done.</summary>
public sealed class JobRunner(IServiceScopeFactory scopes, ILogger<JobRunner> logger)
{
    public async Task RunAsync(Guid intentId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var contexts = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var intent = await db.JobIntents.SingleOrDefaultAsync(j => j.Id == intentId, cancellationToken);
        if (intent is null || intent.CompletedAt is not null)
            return; // Done already: running a recovered duplicate is a no-op.

        if (intent.TenantId is { } tenantId)
            services.GetRequiredService<RequestTenant>().Select(await db.Tenants.SingleAsync(t => t.Id == tenantId, cancellationToken));
        var job = services.GetServices<IPlatformJob>().SingleOrDefault(j => j.Kind == intent.Kind)
            ?? throw new InvalidOperationException($"No job handles '{intent.Kind}'.");

        intent.Started();
        await db.SaveChangesAsync(cancellationToken);
        try
        {
            using var payload = JsonDocument.Parse(intent.Payload);
            await job.RunAsync(payload.RootElement, intent.TenantId, cancellationToken);
            intent.Completed(DateTimeOffset.UtcNow);
        }
        catch (Exception e)
        {
            intent.Failed(e.Message);
            logger.LogWarning(e, "Job {Kind} ({IntentId}) failed on attempt {Attempt}", intent.Kind, intent.Id, intent.Attempts);
            await db.SaveChangesAsync(CancellationToken.None);
            throw; // Hangfire retries.
        }
        await db.SaveChangesAsync(cancellationToken);
    }
}
