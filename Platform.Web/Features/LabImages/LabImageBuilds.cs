using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Features.Courses;
using Platform.Web.Jobs;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.LabImages;

/// <summary>What the portal shows of a build while it runs.</summary>
public sealed record LabImageBuildView(Guid LabImageId, LabImageStatus Status, string Stage, int Percent, string? ManifestHash, string Log);

/// <summary>Starting lab image builds (teachers) and reading their progress (anyone in the course).</summary>
public sealed class LabImageBuilds(IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, JobQueue jobs, RequestTenant tenant, TimeProvider clock)
{
    /// <summary>A build that has reported nothing for this long is taken as dead, and may be started again.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(2);

    public async Task RequestBuildAsync(Guid courseId, Guid labImageId, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(courseId, CourseOperations.Teach);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.LabImages.SingleOrDefaultAsync(i => i.Id == labImageId && i.CourseId == courseId, cancellationToken)
            ?? throw new NotFoundException("There is no such lab image in this course.");
        var now = clock.GetUtcNow();
        if (image.Status == LabImageStatus.Building && image.BuildStartedAt is { } started && now - started < StaleAfter)
            throw new InvalidInputException($"{image.Label} is being built already.");
        image.StartBuild(now);
        await db.SaveChangesAsync(cancellationToken);
        await jobs.EnqueueAsync(BuildLabImageJob.JobKind, new BuildLabImageJob.Payload(labImageId), tenant.TenantId, cancellationToken);
    }

    public async Task<LabImageBuildView?> GetAsync(Guid labImageId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.LabImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == labImageId, cancellationToken);
        if (image is null || !await access.CanAsync(image.CourseId, CourseOperations.View))
            return null;
        return new LabImageBuildView(image.Id, image.Status, image.BuildStage, image.BuildPercent, image.ManifestHash, image.BuildLog);
    }
}
