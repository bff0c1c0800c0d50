using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
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

    /// <summary>
    /// The plain upload form: stores the files, then back to the assignment with the outcome in the
    /// address. It reads the form itself, so a body over the size limit is answered with the same
    /// clear message as any other refusal instead of a bare 400 from form binding.
    /// </summary>
    private static async Task<IResult> SubmitFormAsync(Guid assignmentId, HttpContext http, SubmissionService submissions,
        IAntiforgery antiforgery, IOptions<SubmissionOptions> options)
    {
        var back = $"{http.Request.PathBase}/assignments/{assignmentId}";
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            return TypedResults.LocalRedirect($"{back}?error={Uri.EscapeDataString(SubmissionService.TooLargeMessage(options.Value))}");
        }
        if (!await antiforgery.IsRequestValidAsync(http))
            return TypedResults.BadRequest("The form expired or did not come from this portal; reload the page and submit again.");

        try
        {
            var receipt = await submissions.SubmitAsync(assignmentId, form["clientSubmissionId"].ToString(),
                form.Files.Select(f => new IncomingFile(f.FileName, f.OpenReadStream)).ToList(), SubmissionSource.Upload, http.RequestAborted);
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
