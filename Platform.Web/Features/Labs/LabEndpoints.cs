using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Platform.Web.Features.Assignments;
using Platform.Web.Features.LabImages;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Labs;

/// <summary>
/// What the in-browser lab downloads: a description of the machine (per assignment, authorized as the
/// assignment is) and the boot files it names (by content hash: immutable, cached by the browser for good).
/// </summary>
public static class LabEndpoints
{
    public const string BootFileCacheControl = "private, max-age=31536000, immutable";
    /// <summary>How soon a lab page asks again while the portal builds the guest images.</summary>
    public const int LabRetrySeconds = 10;

    public static IEndpointRouteBuilder MapLabEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/assignments/{assignmentId:guid}/lab/machine.json", GetMachineAsync).RequireAuthorization();
        // Debian's kernel and the project's initramfs: the same for every school, but only for members of one.
        app.MapGet("/lab/boot/{sha256}", GetBootFile).RequireAuthorization();
        return app;
    }

    /// <summary>The machine of an assignment the user may view; 404 otherwise; 409 with the reason when it cannot boot yet.</summary>
    private static async Task<Results<Ok<LabMachineDescription>, NotFound, Conflict<string>>> GetMachineAsync(
        Guid assignmentId, AssignmentService assignments, LabMachines machines, LabBootFiles files, CurrentUser user,
        RequestTenant tenant, LabResumeSnapshots resume, HttpContext http)
    {
        AssignmentView view;
        try
        {
            view = await assignments.GetAsync(assignmentId);
        }
        catch (Exception e) when (e is NotFoundException or ForbiddenException)
        {
            return TypedResults.NotFound();
        }
        if (view.Assignment.LabImage is not { } image)
            return TypedResults.NotFound();
        if (machines.Resolve(image, out var whyNot) is not { } spec)
        {
            // The page asks again by itself while the portal builds what the lab needs.
            if (machines.BuildingGuestImages)
                http.Response.Headers.RetryAfter = LabRetrySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Conflict(whyNot ?? "This lab machine cannot start yet.");
        }
        http.Response.Headers.CacheControl = "private, no-cache";
        return TypedResults.Ok(new LabMachineDescription(assignmentId, image.Label,
            Link(files.Describe(spec.KernelPath)), Link(files.Describe(spec.InitrdPath)),
            spec.KernelCommandLine, spec.MemoryMiB, spec.DiskManifestHash, view.CanSubmit,
            OverlayKey(tenant.TenantId!.Value, user.RequireId(), assignmentId, spec.DiskManifestHash),
            spec.KernelElfPath is { } elf ? Link(files.Describe(elf)) : null,
            ResumeLink(spec, resume),
            spec.DiskManifestHash is null ? null : $"images/{image.Id}/manifest.json"));
    }

    /// <summary>Only the snapshot of this machine's current boot: a stale one (another key) is never named.</summary>
    private static LabResumeLink? ResumeLink(LabMachineSpec spec, LabResumeSnapshots resume) =>
        resume.Find(resume.BootKey(spec)) is { } s
            ? new LabResumeLink(s.ManifestHash, s.Manifest.Size, s.Manifest.ChunkSize, s.Manifest.Chunks)
            : null;

    /// <summary>
    /// Where the browser keeps the student's disk writes. A root disk's writes only make sense on the
    /// image they were made on, so a rebuilt image (another manifest) starts a new overlay rather than
    /// laying old blocks over a new file system; a home disk is blank for every image, so it keeps one.
    /// </summary>
    private static string OverlayKey(Guid tenantId, Guid studentId, Guid assignmentId, string? rootManifestHash) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            rootManifestHash is null ? $"{tenantId:N}/{studentId:N}/{assignmentId:N}" : $"{tenantId:N}/{studentId:N}/{assignmentId:N}/{rootManifestHash}")))[..32];

    private static LabBootFileLink Link(BootFile file) => new($"lab/boot/{file.Sha256}", file.Sha256, file.Bytes);

    private static Results<PhysicalFileHttpResult, NotFound> GetBootFile(string sha256, LabBootFiles files, HttpContext http)
    {
        // Only files a machine description has named are served: the hash is not a path.
        if (files.Find(sha256) is not { } file)
            return TypedResults.NotFound();
        http.Response.Headers.CacheControl = BootFileCacheControl;
        return TypedResults.PhysicalFile(file.Path, "application/octet-stream",
            entityTag: new EntityTagHeaderValue($"\"{file.Sha256}\""), enableRangeProcessing: true);
    }
}
