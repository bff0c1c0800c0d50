using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd;

public sealed class SchoolAdminTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task SchoolAdmin_InvitesAPerson_SeesTheOneTimePasswordLink()
    {
        var page = await portal.NewPageAsync();
        await page.SignInAsync("admin@demo.test");

        await page.GetByRole(AriaRole.Link, new() { Name = "People" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "People" })).ToBeVisibleAsync();
        foreach (var email in new[] { "admin@demo.test", "teacher@demo.test", "grader@demo.test", "student@demo.test", "ada@demo.test", "linus@demo.test" })
            await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = email })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Dana Admin" })).ToContainTextAsync("Admin");
        await page.ScreenshotAsync("admin", "people");

        await page.GetByLabel("Email").FillAsync("nora.new@demo.test");
        await page.GetByLabel("Name").FillAsync("Nora Newcomer");
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite" }).ClickAsync();

        var notice = page.Locator(".alert-info");
        await Expect(notice).ToContainTextAsync("one-time link");
        await Expect(notice.Locator("code")).ToContainTextAsync("/t/demo/account/reset-password?email=nora.new%40demo.test");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "nora.new@demo.test" })).ToContainTextAsync("Nora Newcomer");
        await page.ScreenshotAsync("admin", "people-invited");

        await page.GetByRole(AriaRole.Link, new() { Name = "Course packages" }).ClickAsync();
        var export = page.GetByRole(AriaRole.Link, new() { Name = "LINUX101 — Introduction to Linux" });
        await Expect(export).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("^courses/[0-9a-f-]{36}/package\\.zip$"));
        await page.ScreenshotAsync("admin", "course-packages");
    }
}
