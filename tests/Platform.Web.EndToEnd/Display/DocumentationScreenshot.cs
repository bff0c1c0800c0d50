using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;

namespace Platform.Web.EndToEnd.Display;

/// <summary>
/// Pictures the docs show. Every run writes them to artifacts/docs-screenshots/; the committed copies
/// under docs/screenshots/ change only when asked (WEBVM_REFRESH_DOCS_SCREENSHOTS=1, see
/// docs/display.md), so a test run never edits the repository's tree.
/// </summary>
public static class DocumentationScreenshot
{
    public const string RefreshVariable = "WEBVM_REFRESH_DOCS_SCREENSHOTS";

    /// <summary>The docs keep small pictures: the visible page at CSS scale.</summary>
    public const int MaxBytes = 150 * 1024;

    public static async Task SaveAsync(IPage page, string name)
    {
        var path = Path.Combine(Artifacts.Folder("docs-screenshots"), name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, Scale = ScreenshotScale.Css });
        var size = new FileInfo(path).Length;
        Assert.True(size < MaxBytes, $"{path} is {size} bytes, more than the docs' {MaxBytes}");
        if (Environment.GetEnvironmentVariable(RefreshVariable) == "1")
        {
            var docs = Directory.CreateDirectory(Path.Combine(Artifacts.RepositoryRoot, "docs", "screenshots")).FullName;
            File.Copy(path, Path.Combine(docs, name + ".png"), overwrite: true);
        }
    }
}
