using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Infrastructure;

/// <summary>What every role does the same way: sign in, and keep a picture of the page.</summary>
public static class PageSteps
{
    public const string DemoSchool = "t/demo/";

    /// <summary>Signs in on a school's sign-in page (or the platform's, for an empty prefix) and waits for the landing page.</summary>
    public static async Task SignInAsync(this IPage page, string email, string prefix = DemoSchool, string password = PortalFixture.DemoPassword)
    {
        await page.GotoAsync(prefix + "account/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByText("Signed in as")).ToBeVisibleAsync();
    }

    /// <summary>A full-page PNG at artifacts/screenshots/ROLE-PAGE.png in the repository.</summary>
    public static async Task ScreenshotAsync(this IPage page, string role, string name)
    {
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts.Folder("screenshots"), $"{role}-{name}.png"), FullPage = true });
    }
}
