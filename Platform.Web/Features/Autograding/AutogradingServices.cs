using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Web.Features.Submissions;
using Platform.Web.Hubs;
using Platform.Web.Jobs;

namespace Platform.Web.Features.Autograding;

public static class AutogradingServices
{
    /// <summary>Registers the autograder; call after the submission notifier is registered (it wraps it).</summary>
    public static IServiceCollection AddAutograding(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AutogradeOptions>(configuration.GetSection(AutogradeOptions.Section));
        services.AddSingleton<AutogradeSlots>();
        services.AddScoped<LabSnapshots>();
        services.AddScoped<LabSnapshotRequests>();
        services.AddScoped<AutogradeService>();
        services.AddScoped<Assignments.AssignmentChecks>();
        services.AddScoped<Grading.GradingFeedback>();
        services.AddScoped<IPlatformJob, AutogradeJob>();
        services.AddScoped<IPlatformJob, SnapshotLabImageJob>();
        services.AddScoped<SubmissionHubNotifier>();
        services.Replace(ServiceDescriptor.Scoped<ISubmissionNotifier, AutogradingSubmissionNotifier>());
        return services;
    }
}
