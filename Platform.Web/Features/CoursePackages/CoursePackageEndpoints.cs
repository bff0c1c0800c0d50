using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Web.Authorization;
using Platform.Web.Tenancy;
using CoursePackages.Packaging;

namespace Platform.Web.Features.CoursePackages;

public static class CoursePackageEndpoints
{
    public static IEndpointRouteBuilder MapCoursePackageEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/courses/{courseId:guid}/package.zip", async Task<FileContentHttpResult> (Guid courseId, CourseAccess access, CoursePackageImporter importer) =>
        {
            await access.RequireAsync(courseId, CourseOperations.Teach);
            var package = await importer.ExportAsync(courseId);
            using var zip = new MemoryStream();
            CoursePackageWriter.WriteZip(package, zip);
            return TypedResults.File(zip.ToArray(), "application/zip", $"{package.Course.Code}.zip");
        }).RequireAuthorization();

        app.MapPost("/admin/course-packages/import", async Task<RedirectHttpResult> (IFormFile package, CoursePackageImporter importer, RequestTenant tenant, HttpContext http) =>
        {
            var back = $"{http.Request.PathBase}/admin/course-packages";
            if (package.Length > CoursePackageReader.MaxUnpackedBytes)
                return TypedResults.LocalRedirect($"{back}?error={Uri.EscapeDataString("The package is larger than 16 MiB.")}");
            try
            {
                await using var stream = package.OpenReadStream();
                var course = await importer.ImportAsync(CoursePackageReader.ReadZip(stream), tenant.TenantId!.Value, teacherId: null, http.RequestAborted);
                return TypedResults.LocalRedirect($"{back}?imported={Uri.EscapeDataString($"{course.Code} '{course.Title}' imported.")}");
            }
            catch (Exception e) when (e is CoursePackageException or Courses.InvalidInputException)
            {
                return TypedResults.LocalRedirect($"{back}?error={Uri.EscapeDataString(e.Message)}");
            }
        }).RequireAuthorization(Policies.TenantAdmin);
        return app;
    }
}
