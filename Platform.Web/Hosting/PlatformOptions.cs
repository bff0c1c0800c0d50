namespace Platform.Web.Hosting;

public sealed class PlatformOptions
{
    public const string Section = "Platform";

    /// <summary>Where the SQLite file and the file store live, relative to the content root.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Seeds the demo tenant from the bundled course package on first start.</summary>
    public bool SeedDemo { get; set; } = true;

    /// <summary>"sqlite" (default) or "postgres".</summary>
    public string Database { get; set; } = "sqlite";

    public string ResolveDataDirectory(string contentRoot) =>
        Path.IsPathRooted(DataDirectory) ? DataDirectory : Path.Combine(contentRoot, DataDirectory);
}

public sealed class TenancyOptions
{
    public const string Section = "Tenancy";

    /// <summary>When set (e.g. "classroom.example.org"), SLUG.classroom.example.org selects a tenant too.</summary>
    public string HostSuffix { get; set; } = "";
}
