using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Web.Features.Autograding;

namespace Platform.Web.Features.Grading;

public static class GradingEndpoints
{
    public static IEndpointRouteBuilder MapGradingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/courses/{courseId:guid}/gradebook.csv", async Task<FileContentHttpResult> (Guid courseId, GradingService grading) =>
        {
            var book = await grading.GradebookAsync(courseId);
            return TypedResults.File(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(GradingService.ToCsv(book))).ToArray(),
                "text/csv", $"{book.Course.Code}-gradebook.csv");
        }).RequireAuthorization();
        // The autograder's own endpoints hang off grading's, so the hosting code needs no change.
        app.MapAutogradeEndpoints();
        return app;
    }
}
