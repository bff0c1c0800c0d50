using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Web.Authorization;
using Platform.Web.Features.LabImages;
using Platform.Web.Tenancy;
using Vm.Engine.Disk;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// The lab image's post-boot snapshot for the browser: a manifest in the image store's format, whose
/// chunks come from the public, immutable /chunks/{hash} like a disk's. The browser restores it with
/// the same engine, and can check it was taken of the boot it would do (X-Snapshot-Boot-Key).
/// </summary>
public static class AutogradeEndpoints
{
    public static IEndpointRouteBuilder MapAutogradeEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/images/{labImageId:guid}/snapshot/manifest.json", GetSnapshotManifestAsync).RequireAuthorization();
        return app;
    }

    private static Task<Results<FileContentHttpResult, NotFound>> GetSnapshotManifestAsync(Guid labImageId, RequestTenant tenant,
        IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, ImageStore store, HttpContext http) =>
        LabImageEndpoints.ServeManifestAsync(labImageId, image => image.SnapshotManifestHash, tenant, contexts, access, store, http,
            (image, headers) => headers["X-Snapshot-Boot-Key"] = image.SnapshotBootKey ?? "");
}
