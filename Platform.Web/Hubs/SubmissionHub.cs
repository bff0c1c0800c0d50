using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Web.Authorization;
using Platform.Web.Features.Submissions;
using Platform.Web.Tenancy;

namespace Platform.Web.Hubs;

/// <summary>
/// The lab's way in: the VM client streams a submission here in chunks. Graders join an assignment's
/// group to see new work arrive live.
/// </summary>
[Authorize]
public sealed class SubmissionHub(SubmissionUploads uploads, CourseAccess access, RequestTenant tenant,
    IDbContextFactory<PlatformDbContext> contexts) : Hub
{
    public const string Path = "/hubs/submissions";

    public Task<UploadState> BeginSubmission(Guid assignmentId, string clientSubmissionId, IReadOnlyList<UploadFileManifest> files) =>
        Guard(() => uploads.BeginAsync(assignmentId, clientSubmissionId, files, Context.ConnectionAborted));

    public Task<long> UploadChunk(Guid uploadId, int fileIndex, long offset, byte[] data) =>
        Guard(() => uploads.AppendAsync(uploadId, fileIndex, offset, data, Context.ConnectionAborted));

    public Task<SubmissionReceipt> CompleteSubmission(Guid uploadId) =>
        Guard(() => uploads.CompleteAsync(uploadId, Context.ConnectionAborted));

    /// <summary>Graders of the assignment's course receive "SubmissionReceived" for it from now on.</summary>
    public async Task WatchAssignment(Guid assignmentId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var courseId = await db.Assignments.Where(a => a.Id == assignmentId).Select(a => (Guid?)a.CourseId).SingleOrDefaultAsync();
        if (courseId is null || !await access.CanAsync(courseId.Value, CourseOperations.Grade))
            throw new HubException("You may not watch this assignment.");
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupOf(tenant.TenantId!.Value, assignmentId));
    }

    public static string GroupOf(Guid tenantId, Guid assignmentId) => $"{tenantId:N}:{assignmentId:N}";

    /// <summary>A refusal the student should read travels as a HubException; anything else stays a server error.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is SubmissionRejectedException or ForbiddenException or NotFoundException)
        {
            throw new HubException(e.Message);
        }
    }
}

/// <summary>
/// Tells watching graders about new work. Best effort: the submission is stored before this runs, so
/// a backplane that is down (Redis) costs a live update, never the student's submission.
/// </summary>
public sealed class SubmissionHubNotifier(IHubContext<SubmissionHub> hub, ILogger<SubmissionHubNotifier> logger) : ISubmissionNotifier
{
    public async Task SubmissionReceivedAsync(Guid tenantId, Guid assignmentId, Guid submissionId, CancellationToken cancellationToken)
    {
        try
        {
            await hub.Clients.Group(SubmissionHub.GroupOf(tenantId, assignmentId)).SendAsync("SubmissionReceived", assignmentId, submissionId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Graders watching assignment {AssignmentId} were not told of submission {SubmissionId}; they see it on their next page load", assignmentId, submissionId);
        }
    }
}
