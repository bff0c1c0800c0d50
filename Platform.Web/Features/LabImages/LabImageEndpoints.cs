using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Platform.Data;
using Platform.Web.Authorization;
using Platform.Web.Tenancy;
using Vm.Engine.Disk;

namespace Platform.Web.Features.LabImages;

/// <summary>
/// Serving disks. Manifests are per tenant and course (who may boot what); chunks are content-addressed
/// and public-immutable, so a CDN or object store can serve the same files. A chunk's name is its
/// 256-bit hash: knowing it means having been given a manifest that names it.
/// </summary>
public static class LabImageEndpoints
{
    public const string ChunkCacheControl = "public, max-age=31536000, immutable";

    public static IEndpointRouteBuilder MapLabImageEndpoints(this IEndpointRouteBuilder app)
    {
        // Public and immutable: no session, antiforgery or tenant applies, so the rest of the pipeline is skipped.
        app.MapGet("/chunks/{hash}", GetChunk).AllowAnonymous().ShortCircuit();
        var images = app.MapGroup("/images/{labImageId:guid}").RequireAuthorization();
        images.MapGet("/manifest.json", GetManifestAsync);
        images.MapGet("/build", GetBuildAsync);
        return app;
    }

    private static Results<PhysicalFileHttpResult, NotFound, BadRequest<string>> GetChunk(string hash, ImageStore store, HttpContext http)
    {
        if (!ChunkHash.IsValid(hash))
            return TypedResults.BadRequest("A chunk is named by its SHA-256 in 64 lowercase hex digits.");
        var path = store.Chunks.PathOf(hash);
        if (!File.Exists(path))
            return TypedResults.NotFound();
        http.Response.Headers.CacheControl = ChunkCacheControl;
        http.Response.Headers.AccessControlAllowOrigin = "*";
        return TypedResults.PhysicalFile(path, "application/octet-stream", entityTag: new EntityTagHeaderValue($"\"{hash}\""), enableRangeProcessing: true);
    }

    /// <summary>The published manifest of a lab image the user may view; 404 for anything else (no hint that it exists).</summary>
    private static Task<Results<FileContentHttpResult, NotFound>> GetManifestAsync(Guid labImageId, RequestTenant tenant,
        IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, ImageStore store, HttpContext http) =>
        ServeManifestAsync(labImageId, image => image.ManifestHash, tenant, contexts, access, store, http);

    /// <summary>
    /// One of a lab image's manifests in the store (its disk's, its snapshot's), for course members only;
    /// 404 for anything else. The address names a lab image whose manifests change with each build or
    /// snapshot, so the answer is revalidated every time; the ETag is the manifest's hash.
    /// </summary>
    internal static async Task<Results<FileContentHttpResult, NotFound>> ServeManifestAsync(Guid labImageId, Func<Data.Entities.LabImage, string?> manifestOf,
        RequestTenant tenant, IDbContextFactory<PlatformDbContext> contexts, CourseAccess access, ImageStore store, HttpContext http,
        Action<Data.Entities.LabImage, IHeaderDictionary>? moreHeaders = null)
    {
        if (tenant.TenantId is null)
            return TypedResults.NotFound();
        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var image = await db.LabImages.AsNoTracking().SingleOrDefaultAsync(i => i.Id == labImageId, http.RequestAborted);
        if (image is null || !await access.CanAsync(image.CourseId, CourseOperations.View))
            return TypedResults.NotFound();
        if (manifestOf(image) is not { } hash || store.GetManifestBytes(hash) is not { } bytes)
            return TypedResults.NotFound();
        http.Response.Headers.CacheControl = "private, no-cache";
        http.Response.Headers["X-Manifest-Hash"] = hash;
        moreHeaders?.Invoke(image, http.Response.Headers);
        return TypedResults.Bytes(bytes, "application/json", entityTag: new EntityTagHeaderValue($"\"{hash}\""));
    }

    private static async Task<Results<Ok<LabImageBuildView>, NotFound>> GetBuildAsync(Guid labImageId, LabImageBuilds builds, HttpContext http) =>
        await builds.GetAsync(labImageId, http.RequestAborted) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound();
}
