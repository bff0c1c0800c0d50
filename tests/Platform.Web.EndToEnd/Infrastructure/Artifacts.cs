namespace Platform.Web.EndToEnd.Infrastructure;

/// <summary>The repository root (the folder holding WebVm.sln) and folders under its artifacts/, created on first use.</summary>
public static class Artifacts
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "WebVm.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("WebVm.sln not found above " + AppContext.BaseDirectory);
    });

    public static string RepositoryRoot => Root.Value;

    public static string Folder(string name)
    {
        var folder = Path.Combine(Root.Value, "artifacts", name);
        Directory.CreateDirectory(folder);
        return folder;
    }
}
