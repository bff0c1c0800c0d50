using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Platform.Web.Features.Courses;
using Platform.Web.Features.Tailnets.Headscale;
using Platform.Web.Hosting;
using Platform.Web.Jobs;

namespace Platform.Web.Features.Tailnets;

public static class TailnetExtensions
{
    public static WebApplicationBuilder AddTailnets(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<TailnetOptions>(builder.Configuration.GetSection(TailnetOptions.Section));

        // The API key is encrypted with the portal's Data Protection keys, which live in the data
        // folder beside the database (see FeatureExtensions), so it outlives restarts.
        services.AddHeadscaleClient();

        services.AddSingleton<TailnetKeyProtector>();
        services.AddScoped<TailnetConnections>();
        services.AddScoped<TailnetProvisioner>();
        services.AddScoped<TailnetService>();
        services.AddScoped<TailnetSweepScheduler>();
        services.AddScoped<IPlatformJob, ProvisionCohortTailnetJob>();
        services.AddScoped<IPlatformJob, CleanupCohortTailnetJob>();
        services.AddScoped<IPlatformJob, SweepTailnetJob>();
        return builder;
    }

    /// <summary>
    /// The typed Headscale client through IHttpClientFactory, with the standard resilience handler:
    /// per-attempt and total timeouts, retries with exponential back-off and jitter for transient
    /// faults, and a circuit breaker, all sized from <see cref="TailnetOptions"/>.
    /// </summary>
    public static IServiceCollection AddHeadscaleClient(this IServiceCollection services)
    {
        services.AddHttpClient<HeadscaleClient>(HeadscaleClient.HttpClientName)
            .AddStandardResilienceHandler()
            .Configure((resilience, provider) =>
            {
                var options = provider.GetRequiredService<IOptions<TailnetOptions>>().Value;
                resilience.AttemptTimeout.Timeout = options.RequestTimeout;
                resilience.Retry.MaxRetryAttempts = Math.Max(1, options.RetryAttempts);
                resilience.Retry.Delay = options.RetryDelay;
                // The breaker must sample at least two attempts' time; the total covers every attempt and delay.
                resilience.CircuitBreaker.SamplingDuration = options.RequestTimeout * 2 + TimeSpan.FromSeconds(1);
                resilience.TotalRequestTimeout.Timeout = options.RequestTimeout * (resilience.Retry.MaxRetryAttempts + 1)
                    + options.RetryDelay * Math.Pow(2, resilience.Retry.MaxRetryAttempts + 1) + TimeSpan.FromSeconds(1);
            })
            // Each school has its own server: one school's dead server must not open the breaker for all.
            .SelectPipelineByAuthority();
        return services;
    }

    /// <summary>The lab's call for its session key: <c>POST /api/tailnet/lab-key?assignmentId=…</c>, the signed-in student only.</summary>
    public static WebApplication MapTailnetEndpoints(this WebApplication app)
    {
        app.MapPost("/api/tailnet/lab-key", IssueLabKey).RequireAuthorization();
        return app;
    }

    private static async Task<Results<Ok<LabKey>, ProblemHttpResult>> IssueLabKey(Guid assignmentId, TailnetService tailnets, HttpContext http, CancellationToken ct)
    {
        // A key is a secret for one person: no cache keeps it.
        http.Response.Headers.CacheControl = "no-store";
        try
        {
            return TypedResults.Ok(await tailnets.IssueLabKeyAsync(assignmentId, ct));
        }
        catch (InvalidInputException e)
        {
            return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status409Conflict);
        }
        catch (HeadscaleException e)
        {
            return TypedResults.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
