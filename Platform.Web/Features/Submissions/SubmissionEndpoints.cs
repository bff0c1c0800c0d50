using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Platform.Data.Entities;
using Platform.Web.Features.Grading;

namespace Platform.Web.Features.Submissions;

public static class SubmissionEndpoints
{
    public static IEndpointRouteBuilder MapSubmissionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").RequireAuthorization();
        group.MapPost("/assignments/{assignmentId:guid}/submit", SubmitFormAsync).RequireRateLimiting(Security.RateLimits.Submissions);
        group.MapGet("/submissions/{submissionId:guid}/files/{fileId:guid}", DownloadAsync);
        return app;
    }

    /// <summary>The plain upload form: stores the files, then back to the assignment with the outcome in the address.</summary>
    private static async Task<RedirectHttpResult> SubmitFormAsync(Guid assignmentId, [FromForm] string clientSubmissionId, IFormFileCollection files,
        SubmissionService submissions, HttpContext http)
    {
        var back = $"{http.Request.PathBase}/assignments/{assignmentId}";
        try
        {
            var receipt = await submissions.SubmitAsync(assignmentId, clientSubmissionId,
                files.Select(f => new IncomingFile(f.FileName, f.OpenReadStream)).ToList(), SubmissionSource.Upload, http.RequestAborted);
            return TypedResults.LocalRedirect($"{back}?submitted={receipt.Version}");
        }
        catch (SubmissionRejectedException e)
        {
            return TypedResults.LocalRedirect($"{back}?error={Uri.EscapeDataString(e.Message)}");
        }
    }

    private static async Task<FileStreamHttpResult> DownloadAsync(Guid submissionId, Guid fileId, GradingService grading)
    {
        var (file, content) = await grading.OpenFileAsync(submissionId, fileId);
        // Always a download, never rendered by the portal's origin: student files are untrusted.
        return TypedResults.File(content, "application/octet-stream", Path.GetFileName(file.Path));
    }
}
