using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Web.Storage;

namespace Platform.Web.Jobs;

/// <summary>Recurring: drops uploads abandoned for a day, and staged bytes no upload owns any more.</summary>
public sealed class CleanupStaleUploads(IDbContextFactory<PlatformDbContext> contexts, UploadStaging staging, TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(1);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var cutoff = clock.GetUtcNow() - MaxAge;
        // Across tenants by design: this job owns no tenant's data, it only removes abandoned bytes.
        var stale = await db.PendingUploads.IgnoreQueryFilters().Where(u => u.StartedAt < cutoff).Select(u => u.Id).ToListAsync(cancellationToken);
        await db.PendingUploads.IgnoreQueryFilters().Where(u => stale.Contains(u.Id)).ExecuteDeleteAsync(cancellationToken);
        var live = (await db.PendingUploads.IgnoreQueryFilters().Select(u => u.Id).ToListAsync(cancellationToken)).ToHashSet();
        var removed = 0;
        foreach (var upload in staging.Uploads().Where(id => !live.Contains(id)))
        {
            staging.DiscardAll(upload);
            removed++;
        }
        return removed;
    }
}
