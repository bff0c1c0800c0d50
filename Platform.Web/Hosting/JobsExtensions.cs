using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Platform.Web.Jobs;
using Platform.Web.Tenancy;

namespace Platform.Web.Hosting;

public static class JobsExtensions
{
    public static WebApplicationBuilder AddPlatformJobs(this WebApplicationBuilder builder)
    {
        var options = PlatformOptions.From(builder.Configuration);
        var connectionString = builder.Configuration.GetConnectionString("Platform");
        builder.Services.AddHangfire(hangfire =>
        {
            hangfire.UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();
            // One instance keeps its queue in memory (intents in the database survive restarts);
            // several share the queue in PostgreSQL so any instance runs any job once.
            if (options.UsesPostgres)
                hangfire.UsePostgreSqlStorage(storage => storage.UseNpgsqlConnection(connectionString), new PostgreSqlStorageOptions
                {
                    // Workers LISTEN for new jobs instead of polling every 15 s (the library's default):
                    // an autograde or image build starts when it is queued, not up to 15 s later. The
                    // poll remains for a notification missed while a connection was being replaced.
                    EnableLongPolling = true,
                    QueuePollInterval = TimeSpan.FromSeconds(5),
                });
            else
                hangfire.UseInMemoryStorage();
        });
        builder.Services.AddHangfireServer(server => server.WorkerCount = Math.Max(2, Environment.ProcessorCount));
        builder.Services.AddScoped<JobQueue>();
        builder.Services.AddScoped<JobRunner>();
        builder.Services.AddScoped<CleanupStaleUploads>();
        builder.Services.AddHostedService<JobRecovery>();
        return builder;
    }

    /// <summary>Every recurring job, registered in one place.</summary>
    public static WebApplication MapPlatformJobs(this WebApplication app)
    {
        app.Services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<CleanupStaleUploads>("cleanup-stale-uploads", job => job.RunAsync(CancellationToken.None), Cron.Hourly());
        app.Services.GetRequiredService<IRecurringJobManager>()
            .AddOrUpdate<Features.Tailnets.TailnetSweepScheduler>("tailnet-sweep", job => job.RunAsync(CancellationToken.None), Cron.Hourly());
        app.UseHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new PlatformAdminDashboardFilter()],
            DashboardTitle = "WebVM Classroom jobs",
        });
        return app;
    }

    /// <summary>The dashboard shows every tenant's jobs: platform admins only.</summary>
    private sealed class PlatformAdminDashboardFilter : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) =>
            context.GetHttpContext().User.HasClaim(PlatformClaims.PlatformAdmin, "true");
    }
}

/// <summary>Hands unfinished job intents back to Hangfire when the portal starts.</summary>
internal sealed class JobRecovery(IServiceScopeFactory scopes, ILogger<JobRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var recovered = await scope.ServiceProvider.GetRequiredService<JobQueue>().RecoverAsync(stoppingToken);
        if (recovered > 0)
            logger.LogInformation("Re-enqueued {Count} unfinished background jobs", recovered);
    }
}
