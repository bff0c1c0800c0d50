using System.Security.Claims;
using System.Threading.RateLimiting;

namespace Platform.Web.Security;

/// <summary>
/// Limits on what an attacker would repeat: password guesses (per address, on top of Identity's
/// per-account lockout) and submissions (per person). Answers 429 with a Retry-After.
/// </summary>
public static class RateLimits
{
    public const string Submissions = "submissions";

    public static IServiceCollection AddPlatformRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var signInsPerMinute = configuration.GetValue("RateLimits:SignInsPerMinute", 20);
        var submissionsPerMinute = configuration.GetValue("RateLimits:SubmissionsPerMinute", 30);
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                    context.HttpContext.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.HttpContext.Response.WriteAsync("Too many attempts. Wait a minute and try again.", cancellationToken);
            };
            // Sign-in is a page, not an endpoint of its own: the global limiter picks its POSTs out.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/account")
                    ? RateLimitPartition.GetFixedWindowLimiter("sign-in:" + context.Connection.RemoteIpAddress,
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = signInsPerMinute, Window = TimeSpan.FromMinutes(1) })
                    : RateLimitPartition.GetNoLimiter(""));
            limiter.AddPolicy(Submissions, context => RateLimitPartition.GetFixedWindowLimiter(
                "submit:" + (context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? context.Connection.RemoteIpAddress?.ToString()),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = submissionsPerMinute, Window = TimeSpan.FromMinutes(1) }));
        });
        return services;
    }
}
