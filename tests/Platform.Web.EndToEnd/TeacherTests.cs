using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd;

public sealed class TeacherTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task Teacher_CreatesCourseImportsRosterAndSetsAssignment_SeesThemOnTheCourse()
    {
        var page = await portal.NewPageAsync();
        await page.SignInAsync("teacher@demo.test");

        await page.GetByRole(AriaRole.Link, new() { Name = "Courses" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link).Filter(new() { HasText = "Introduction to Linux" })).ToBeVisibleAsync();
        await page.GetByLabel("Code").FillAsync("WEB201");
        await page.GetByLabel("Title").FillAsync("Building for the web");
        await page.GetByLabel("Description").FillAsync("HTML, CSS and a small server, on the lab machine.");
        await page.ScreenshotAsync("teacher", "courses");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create course" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Building for the web" })).ToBeVisibleAsync();
        await Expect(page.GetByText("No assignments yet")).ToBeVisibleAsync();
        await page.GetByLabel("New cohort").FillAsync("Tuesday section");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add cohort" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Cohort 'Tuesday section' added.");
        await page.ScreenshotAsync("teacher", "new-course");

        await page.GetByRole(AriaRole.Link, new() { Name = "Import roster" }).ClickAsync();
        await page.GetByLabel("Roster (CSV").FillAsync(string.Join('\n',
            "email,name,role,cohort",
            "grace.hopper@demo.test,Grace Hopper,student,Tuesday section",
            "not-an-email,Bad Row,student,Tuesday section",
            "alan.turing@demo.test,Alan Turing,student,Tuesday section"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Preview: 2 of 3 rows can be imported" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Bad Row" })).ToContainTextAsync("'not-an-email' is not an email address.");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Grace Hopper" })).ToContainTextAsync("Ready");
        await page.ScreenshotAsync("teacher", "roster-preview");

        await page.GetByRole(AriaRole.Button, new() { Name = "Import 2 valid rows" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("2 people enrolled (2 new accounts).");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("1 row was not imported; fix it and import that row again.");
        await page.ScreenshotAsync("teacher", "roster-imported");

        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the course" }).ClickAsync();
        var people = page.Locator("section").Filter(new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "People" }) });
        await Expect(people.GetByRole(AriaRole.Row).Filter(new() { HasText = "Grace Hopper" })).ToContainTextAsync("Tuesday section");
        await Expect(people.GetByRole(AriaRole.Row).Filter(new() { HasText = "Alan Turing" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "New assignment" }).ClickAsync();
        await page.GetByLabel("Title").FillAsync("A page of your own");
        await page.GetByLabel("Due (UTC)").FillAsync("2031-03-14T23:59");
        await page.GetByLabel("Points", new() { Exact = true }).FillAsync("25");
        await page.GetByLabel("Instructions (Markdown)").FillAsync("# A page of your own\n\nWrite `index.html` with a heading and a list.");
        await page.ScreenshotAsync("teacher", "new-assignment");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "A page of your own" }).First).ToBeVisibleAsync();
        await Expect(page.Locator(".facts")).ToContainTextAsync("Fri 14 Mar 2031, 23:59 UTC");
        await page.GetByRole(AriaRole.Link, new() { Name = "WEB201" }).ClickAsync();

        var assignment = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "A page of your own" });
        await Expect(assignment).ToContainTextAsync("Fri 14 Mar 2031, 23:59 UTC");
        await Expect(assignment).ToContainTextAsync("25");
        await page.ScreenshotAsync("teacher", "course");
    }
}
