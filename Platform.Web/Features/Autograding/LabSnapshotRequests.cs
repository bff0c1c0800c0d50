using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Web.Authorization;
using Platform.Web.Jobs;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Autograding;

/// <summary>Teachers asking for a lab image's post-boot snapshot to be taken now (rather than by the first autograde run).</summary>
public sealed class LabSnapshotRequests(IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, JobQueue jobs, RequestTenant tenant)
{
    public async Task RequestAsync(Guid labImageId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.LabImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == labImageId, cancellationToken)
            ?? throw new NotFoundException("There is no such lab image at this school.");
        await access.RequireAsync(image.CourseId, CourseOperations.Teach);
        await jobs.EnqueueAsync(SnapshotLabImageJob.JobKind, new SnapshotLabImageJob.Payload(labImageId), tenant.TenantId, cancellationToken);
    }
}
