using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Platform.Web.Security;

namespace Platform.Web.Hubs;

/// <summary>
/// The HTTP rate limiter sees only the request that opens a hub connection; every call after it
/// travels inside that connection. This filter limits calls per person: new submissions
/// (BeginSubmission, at the form's per-minute rate, counted apart from it) and hub calls of any kind
/// (enough for a full-size submission's chunks many times over). A refusal is a HubException the lab
/// shows to the student; nothing of the call runs. With Redis configured the same budgets are also
/// counted across instances (<see cref="SharedRateLimitCounter"/>), since a student's reconnect may
/// land on another instance.
/// </summary>
public sealed class HubRateLimitFilter : IHubFilter, IDisposable
{
    public const string TooMany = RateLimits.TooMany;

    private readonly PartitionedRateLimiter<string> _submissions;
    private readonly PartitionedRateLimiter<string> _calls;
    private readonly SharedRateLimitCounter _shared;
    private readonly int _submissionsPerMinute;
    private readonly int _callsPerMinute;

    public HubRateLimitFilter(IConfiguration configuration, SharedRateLimitCounter shared)
    {
        _submissionsPerMinute = configuration.GetValue("RateLimits:SubmissionsPerMinute", 30);
        _callsPerMinute = configuration.GetValue("RateLimits:HubCallsPerMinute", 1200);
        _submissions = PerMinute(_submissionsPerMinute);
        _calls = PerMinute(_callsPerMinute);
        _shared = shared;
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        // The hub is [Authorize]: a caller always has a user id; the connection id is a fallback only.
        var who = context.Context.User?.FindFirstValue(ClaimTypes.NameIdentifier) ?? context.Context.ConnectionId;
        using var call = _calls.AttemptAcquire(who);
        if (!call.IsAcquired || (await _shared.TryAcquireAsync("hub-call:" + who, _callsPerMinute)).Verdict == SharedVerdict.Refused)
            throw new HubException(TooMany);
        if (context.HubMethodName == nameof(SubmissionHub.BeginSubmission))
        {
            using var submission = _submissions.AttemptAcquire(who);
            if (!submission.IsAcquired || (await _shared.TryAcquireAsync("hub-submit:" + who, _submissionsPerMinute)).Verdict == SharedVerdict.Refused)
                throw new HubException(TooMany);
        }
        return await next(context);
    }

    public void Dispose()
    {
        _submissions.Dispose();
        _calls.Dispose();
    }

    private static PartitionedRateLimiter<string> PerMinute(int permits) =>
        PartitionedRateLimiter.Create<string, string>(who => RateLimitPartition.GetFixedWindowLimiter(who,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
}
