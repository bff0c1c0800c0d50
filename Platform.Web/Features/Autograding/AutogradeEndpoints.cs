using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Platform.Data;
using Platform.Web.Authorization;
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

    private static async Task<Results<FileContentHttpResult, NotFound>> GetSnapshotManifestAsync(Guid labImageId, RequestTenant tenant,
        IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, ImageStore store, HttpContext http)
    {
        if (tenant.TenantId is null)
            return TypedResults.NotFound();
        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var image = await db.LabImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == labImageId, http.RequestAborted);
        if (image is null || !await access.CanAsync(image.CourseId, CourseOperations.View))
            return TypedResults.NotFound();
        if (image.SnapshotManifestHash is not { } hash || store.GetManifestBytes(hash) is not { } bytes)
            return TypedResults.NotFound();
        http.Response.Headers.CacheControl = "private, no-cache";
        http.Response.Headers["X-Manifest-Hash"] = hash;
        http.Response.Headers["X-Snapshot-Boot-Key"] = image.SnapshotBootKey ?? "";
        return TypedResults.Bytes(bytes, "application/json", entityTag: new EntityTagHeaderValue($"\"{hash}\""));
    }
}
