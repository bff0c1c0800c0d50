using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Web.Authorization;
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
        return app;
    }
}
