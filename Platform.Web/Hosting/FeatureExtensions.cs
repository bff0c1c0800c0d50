using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.SignalR;
using Platform.Web.Features.Assignments;
using Platform.Web.Features.Autograding;
using Platform.Web.Features.CoursePackages;
using Platform.Web.Features.Courses;
using Platform.Web.Features.Grading;
using Platform.Web.Features.LabImages;
using Platform.Web.Features.People;
using Platform.Web.Features.Submissions;
using Platform.Web.Features.Tailnets;
using Platform.Web.Features.Tenants;
using Platform.Web.Hubs;
using Platform.Web.Security;
using Platform.Web.Seeding;
using Platform.Web.Storage;

namespace Platform.Web.Hosting;

public static class FeatureExtensions
{
    public static WebApplicationBuilder AddPlatformFeatures(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.Configure<PlatformOptions>(configuration.GetSection(PlatformOptions.Section));
        services.Configure<TenancyOptions>(configuration.GetSection(TenancyOptions.Section));
        services.Configure<SubmissionOptions>(configuration.GetSection(SubmissionOptions.Section));

        var dataDirectory = PlatformOptions.From(configuration).ResolveDataDirectory(builder.Environment.ContentRootPath);
        services.AddSingleton<IFileStore>(new LocalFileStore(Path.Combine(dataDirectory, "files")));
        services.AddSingleton(new UploadStaging(Path.Combine(dataDirectory, "staging")));
        services.AddSingleton(TimeProvider.System);

        // Form uploads may carry a whole submission; the service applies the exact limit with a clear message.
        var maxBytes = configuration.GetValue<long?>("Submissions:MaxTotalBytes") ?? 20 * 1024 * 1024;
        services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = maxBytes + 1024 * 1024);

        services.AddHttpContextAccessor();
        services.AddScoped<CourseService>();
        services.AddScoped<Features.LabImages.LabImageService>();
        services.AddLabImages(configuration, dataDirectory);
        services.AddScoped<Features.Dashboard.DashboardService>();
        services.AddScoped<AssignmentService>();
        services.AddScoped<SubmissionService>();
        services.AddScoped<SubmissionUploads>();
        services.AddScoped<GradingService>();
        services.AddScoped<PeopleService>();
        services.AddScoped<TenantService>();
        services.AddScoped<RosterImport>();
        services.AddScoped<CoursePackageImporter>();
        services.AddScoped<ISubmissionNotifier, SubmissionHubNotifier>();
        services.AddAutograding(configuration);
        services.AddSingleton<DemoSeeder>();
        builder.AddTailnets();

        // `dotnet run` from a clone serves the framework's scripts (blazor.web.js) and the lib/ files
        // from the build output in every environment, not only Development; a no-op once published.
        builder.WebHost.UseStaticWebAssets();
        services.AddRazorComponents().AddInteractiveWebAssemblyComponents();
        services.AddSingleton<Features.Labs.LabBootFiles>();
        services.AddSingleton<Features.Labs.LabResumeSnapshots>();
        var signalR = services.AddSignalR(hub =>
        {
            hub.AddFilter<TenantHubFilter>();
            hub.AddFilter<HubRateLimitFilter>();
            // A chunk is at most 1 MiB of file data; the JSON protocol carries bytes as base64 (4/3 the
            // size), plus the message's framing.
            hub.MaximumReceiveMessageSize = SubmissionUploads.MaxChunkBytes / 3 * 4 + 64 * 1024;
        });
        var platform = PlatformOptions.From(configuration);
        if (platform.Redis.Length > 0)
        {
            // Several instances: a grader connected to one hears of work submitted to another.
            signalR.AddStackExchangeRedis(platform.Redis, redis => redis.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("webvm"));
        }

        // Cookies, antiforgery and reset tokens, and secrets stored encrypted (a school's Headscale API
        // key), must be readable by every instance and survive restarts.
        services.AddDataProtection()
            .SetApplicationName("webvm-classroom")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));
        services.AddSingleton<TenantHubFilter>();
        services.AddSingleton<HubRateLimitFilter>();
        services.AddAntiforgery();
        services.AddPlatformRateLimits(configuration);
        services.AddProblemDetails();
        return builder;
    }
}
