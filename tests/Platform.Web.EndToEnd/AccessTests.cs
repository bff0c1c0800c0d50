using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd;

public sealed class AccessTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task GraderQueue_WhenStudent_ShowsNotAllowed()
    {
        var page = await portal.NewPageAsync();
        await page.SignInAsync("student@demo.test");
        await page.GetByRole(AriaRole.Link, new() { Name = "Files and folders" }).ClickAsync();
        await Expect(page.Locator(".page-header h1")).ToHaveTextAsync("Files and folders");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Submissions" })).ToHaveCountAsync(0);

        var response = await page.GotoAsync(page.Url.TrimEnd('/') + "/submissions");

        Assert.Equal(403, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not allowed" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Ada Lovelace")).ToHaveCountAsync(0);
        await page.ScreenshotAsync("student", "queue-not-allowed");
    }
}
