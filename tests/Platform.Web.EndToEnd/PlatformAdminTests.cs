using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd;

public sealed class PlatformAdminTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task PlatformAdmin_CreatesASchool_SeesItListed()
    {
        var page = await portal.NewPageAsync();
        await page.SignInAsync("admin@platform.test", prefix: "");

        await page.GetByRole(AriaRole.Link, new() { Name = "Schools", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Schools", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Demo High School" })).ToContainTextAsync("/t/demo");
        await page.ScreenshotAsync("platform", "schools");

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Lincoln High School");
        await page.GetByLabel("Short name").FillAsync("lincoln-high");
        await page.GetByLabel("First admin's email").FillAsync("principal@lincoln.test");
        await page.GetByLabel("First admin's name").FillAsync("Pat Principal");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create school" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Lincoln High School created.");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Lincoln High School" })).ToContainTextAsync("/t/lincoln-high");
        await page.ScreenshotAsync("platform", "school-created");
    }

    [Fact]
    public async Task PlatformAdmin_WrongPassword_SeesTheError()
    {
        var page = await portal.NewPageAsync();
        await page.GotoAsync("account/login");
        await page.GetByLabel("Email").FillAsync("admin@platform.test");
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("That email and password do not match");
        await Expect(page.GetByText("Signed in as")).Not.ToBeVisibleAsync();
        await page.ScreenshotAsync("platform", "sign-in-refused");
    }
}
