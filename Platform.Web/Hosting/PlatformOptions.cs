namespace Platform.Web.Hosting;

public sealed class PlatformOptions
{
    public const string Section = "Platform";

    /// <summary>Where the SQLite file and the file store live, relative to the content root.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Seeds the demo tenant from the bundled course package on first start.</summary>
    public bool SeedDemo { get; set; } = true;

    /// <summary>"sqlite" (default: one instance, nothing to install) or "postgres" (scale-out).</summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>Redis for the SignalR backplane when several instances serve one school; empty for one instance.</summary>
    public string Redis { get; set; } = "";

    public bool UsesPostgres => Database.Equals("postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The options as configured, for composition code that runs before the container exists.</summary>
    public static PlatformOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<PlatformOptions>() ?? new();

    public string ResolveDataDirectory(string contentRoot) =>
        Path.IsPathRooted(DataDirectory) ? DataDirectory : Path.Combine(contentRoot, DataDirectory);
}

public sealed class TenancyOptions
{
    public const string Section = "Tenancy";

    /// <summary>When set (e.g. "classroom.example.org"), SLUG.classroom.example.org selects a tenant too.</summary>
    public string HostSuffix { get; set; } = "";
}
