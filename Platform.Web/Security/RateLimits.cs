using System.Security.Claims;
using System.Threading.RateLimiting;

namespace Platform.Web.Security;

/// <summary>
/// Limits on what an attacker would repeat: password guesses (per address, on top of Identity's
/// per-account lockout) and submissions (per person). Answers 429 with a Retry-After. These limiters
/// count in this process; <see cref="SharedRateLimitMiddleware"/> adds the other instances' attempts
/// when Redis is configured.
/// </summary>
public static class RateLimits
{
    public const string Submissions = "submissions";
    public const string TooMany = "Too many attempts. Wait a minute and try again.";

    /// <summary>Sign-in is a page, not an endpoint of its own: its POSTs are picked out by path.</summary>
    public static bool IsSignIn(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/account");

    public static string SignInKey(HttpContext context) => "sign-in:" + context.Connection.RemoteIpAddress;

    public static string SubmissionKey(HttpContext context) =>
        "submit:" + (context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? context.Connection.RemoteIpAddress?.ToString());

    public static async Task WriteRefusalAsync(HttpResponse response, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        if (retryAfter is { } wait)
            response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await response.WriteAsync(TooMany, cancellationToken);
    }

    public static IServiceCollection AddPlatformRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var signInsPerMinute = configuration.GetValue("RateLimits:SignInsPerMinute", 20);
        var submissionsPerMinute = configuration.GetValue("RateLimits:SubmissionsPerMinute", 30);
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, cancellationToken) => new ValueTask(WriteRefusalAsync(context.HttpContext.Response,
                context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : null, cancellationToken));
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsSignIn(context)
                    ? RateLimitPartition.GetFixedWindowLimiter(SignInKey(context),
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = signInsPerMinute, Window = TimeSpan.FromMinutes(1) })
                    : RateLimitPartition.GetNoLimiter(""));
            limiter.AddPolicy(Submissions, context => RateLimitPartition.GetFixedWindowLimiter(SubmissionKey(context),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = submissionsPerMinute, Window = TimeSpan.FromMinutes(1) }));
        });
        services.AddSingleton<SharedRateLimitCounter>();
        return services;
    }
}
