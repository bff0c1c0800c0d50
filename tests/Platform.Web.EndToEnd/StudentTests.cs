using System.Text;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd;

public sealed class StudentTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task Student_OpensLabAndUploadsWork_SeesVersionOneSubmitted()
    {
        var page = await portal.NewPageAsync();
        await page.SignInAsync("student@demo.test");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome, Sam Student" })).ToBeVisibleAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Files and folders" });
        await Expect(row).ToContainTextAsync("LINUX101");
        await Expect(row).ToContainTextAsync("Not started");
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Pipes and filters" })).ToBeVisibleAsync();
        await page.ScreenshotAsync("student", "dashboard");

        await row.GetByRole(AriaRole.Link, new() { Name = "Files and folders" }).ClickAsync();
        await Expect(page.Locator(".page-header h1")).ToHaveTextAsync("Files and folders");
        await Expect(page.GetByText("Nothing submitted yet")).ToBeVisibleAsync();
        await page.ScreenshotAsync("student", "assignment");

        await page.GetByRole(AriaRole.Link, new() { Name = "Open lab" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Lab: Files and folders" })).ToBeVisibleAsync();
        // The machine starts in the browser (LabTerminalTests boots it to the prompt).
        await Expect(page.Locator(".lab-stages")).ToContainTextAsync("Kernel");
        await page.ScreenshotAsync("student", "lab");

        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the assignment" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hand in" })).ToBeVisibleAsync();
        await page.Locator("input[type=file][name=files]").SetInputFilesAsync(new FilePayload
        {
            Name = "todo.txt",
            MimeType = "text/plain",
            Buffer = Encoding.UTF8.GetBytes("buy milk\nwrite the report\nback up the notes\n"),
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "version 1" })).ToContainTextAsync("Submitted: version 1 is in");
        var submissions = page.Locator("table").Filter(new() { HasText = "Version 1" });
        await Expect(submissions.GetByRole(AriaRole.Link, new() { Name = "Version 1" })).ToBeVisibleAsync();
        await Expect(submissions).ToContainTextAsync("Not released");
        await Expect(page.Locator(".facts")).ToContainTextAsync("Submitted");
        await page.ScreenshotAsync("student", "submitted");

        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Files and folders" })).ToContainTextAsync("Submitted");
        await page.ScreenshotAsync("student", "dashboard-after-submitting");
    }

    [Fact]
    public async Task Student_UploadsAnExecutable_SeesWhyItIsRefused()
    {
        var page = await portal.NewPageAsync();
        await page.SignInAsync("linus@demo.test");
        await page.GetByRole(AriaRole.Link, new() { Name = "Shell scripts with arguments" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hand in" })).ToBeVisibleAsync();

        await page.Locator("input[type=file][name=files]").SetInputFilesAsync(new FilePayload
        {
            Name = "setup.exe",
            MimeType = "application/octet-stream",
            Buffer = [0x4d, 0x5a, 0x90, 0x00],
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();

        var alert = page.GetByRole(AriaRole.Alert);
        await Expect(alert).ToContainTextAsync("'setup.exe': files of type '.exe' are not accepted");
        await Expect(page.GetByText("Nothing submitted yet")).ToBeVisibleAsync();
        await page.ScreenshotAsync("student", "upload-refused");
    }
}
