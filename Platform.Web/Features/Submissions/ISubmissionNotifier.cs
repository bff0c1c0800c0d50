namespace Platform.Web.Features.Submissions;

/// <summary>Tells graders watching an assignment that new work arrived (through the hub's groups).</summary>
public interface ISubmissionNotifier
{
    Task SubmissionReceivedAsync(Guid tenantId, Guid assignmentId, Guid submissionId, CancellationToken cancellationToken);
}
