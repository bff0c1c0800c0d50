using Microsoft.AspNetCore.RateLimiting;

namespace Platform.Web.Security;

/// <summary>
/// Runs after the per-process rate limiter and counts the same sign-ins and form submissions in Redis,
/// where every instance adds to one budget per caller. Without Redis (one instance, or an outage) it
/// lets the request through: the per-process limiter before it has already applied the same limit.
/// </summary>
public sealed class SharedRateLimitMiddleware(RequestDelegate next, SharedRateLimitCounter counter, IConfiguration configuration)
{
    private readonly int _signInsPerMinute = configuration.GetValue("RateLimits:SignInsPerMinute", 20);
    private readonly int _submissionsPerMinute = configuration.GetValue("RateLimits:SubmissionsPerMinute", 30);

    public async Task InvokeAsync(HttpContext context)
    {
        var limit = RateLimits.IsSignIn(context) ? (RateLimits.SignInKey(context), _signInsPerMinute)
            : context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == RateLimits.Submissions
                ? (RateLimits.SubmissionKey(context), _submissionsPerMinute)
                : default((string Key, int Permits)?);
        if (limit is { } counted)
        {
            var (verdict, retryAfter) = await counter.TryAcquireAsync(counted.Key, counted.Permits);
            if (verdict == SharedVerdict.Refused)
            {
                await RateLimits.WriteRefusalAsync(context.Response, retryAfter, context.RequestAborted);
                return;
            }
        }
        await next(context);
    }
}
