using Platform.Web.Features.Submissions;
using Platform.Web.Hubs;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// When a submission lands: tells watching graders (the hub's notifier) and queues its autograde run.
/// Best effort like the hub's: the work is stored already, so a failure to queue is logged and a
/// grader can start the run from the submission's page.
/// </summary>
public sealed class AutogradingSubmissionNotifier(SubmissionHubNotifier hub, AutogradeService autograde, ILogger<AutogradingSubmissionNotifier> logger)
    : ISubmissionNotifier
{
    public async Task SubmissionReceivedAsync(Guid tenantId, Guid assignmentId, Guid submissionId, CancellationToken cancellationToken)
    {
        await hub.SubmissionReceivedAsync(tenantId, assignmentId, submissionId, cancellationToken);
        try
        {
            await autograde.QueueAsync(tenantId, submissionId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "The autograde run of submission {SubmissionId} was not queued", submissionId);
        }
    }
}
