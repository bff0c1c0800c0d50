using Platform.Web.Hosting;
using Vm.Engine.Disk;
using Vm.ImageBuilder;

namespace Platform.Web.Features.LabImages;

public sealed class LabImageOptions
{
    public const string Section = "LabImages";

    /// <summary>The image store (chunks + manifests), relative to the data folder unless rooted.</summary>
    public string StoreDirectory { get; set; } = "images";
    /// <summary>The Debian mirror recipe builds download from.</summary>
    public string Mirror { get; set; } = "http://deb.debian.org/debian";
    /// <summary>
    /// The guest kernel and initramfs folder; empty means $WEBVM_GUEST_DIR (one version's folder, as
    /// test.sh exports it), else $WEBVM_CACHE/guest, else ~/.cache/webvm/guest.
    /// </summary>
    public string GuestDirectory { get; set; } = "";
    /// <summary>
    /// Whether a portal that finds no guest images in the default folder builds them at start
    /// (<see cref="GuestImageBootstrap"/>); never when <see cref="GuestDirectory"/> or $WEBVM_GUEST_DIR names one.
    /// </summary>
    public bool BuildGuestImagesOnStart { get; set; } = true;
    /// <summary>The script that builds them; empty means the checkout's scripts/guest/build-guest-images.sh.</summary>
    public string GuestImageBuildScript { get; set; } = "";

    public string ResolveGuestDirectory() => ResolveGuestDirectory(Environment.GetEnvironmentVariable);

    public string ResolveGuestDirectory(Func<string, string?> environment)
    {
        if (!string.IsNullOrEmpty(GuestDirectory))
            return GuestDirectory;
        var versioned = environment("WEBVM_GUEST_DIR");
        if (!string.IsNullOrEmpty(versioned))
            return versioned;
        var cache = environment("WEBVM_CACHE");
        if (string.IsNullOrEmpty(cache))
            cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "webvm");
        return Path.Combine(cache, "guest");
    }
}

public static class LabImageServices
{
    public static IServiceCollection AddLabImages(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        var options = configuration.GetSection(LabImageOptions.Section).Get<LabImageOptions>() ?? new();
        services.Configure<LabImageOptions>(configuration.GetSection(LabImageOptions.Section));
        var storeRoot = Path.IsPathRooted(options.StoreDirectory) ? options.StoreDirectory : Path.Combine(dataDirectory, options.StoreDirectory);
        services.AddSingleton(_ => new ImageStore(storeRoot));
        services.AddSingleton<IProcessRunner, SystemProcessRunner>();
        services.AddScoped<LabImageBuilds>();
        services.AddSingleton<LabMachines>();
        services.AddSingleton<GuestImageBuildStatus>();
        services.AddHostedService<GuestImageBootstrap>();
        services.AddScoped<Jobs.IPlatformJob, BuildLabImageJob>();
        return services;
    }
}
