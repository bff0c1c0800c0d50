using System.Text;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd;

public sealed class GraderTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    [Fact]
    public async Task Grader_GradesASubmissionWithTheRubric_GradebookAndCsvShowTheScore()
    {
        // Arrange: Ada hands in "Pipes and filters" through the upload form.
        var student = await portal.NewPageAsync();
        await student.SignInAsync("ada@demo.test");
        await student.GetByRole(AriaRole.Link, new() { Name = "Pipes and filters" }).ClickAsync();
        await student.Locator("input[type=file][name=files]").SetInputFilesAsync(new FilePayload
        {
            Name = "top-word.sh",
            MimeType = "text/x-sh",
            Buffer = Encoding.UTF8.GetBytes("#!/bin/sh\n# Prints the most frequent word of a file.\ntr -cs 'A-Za-z' '\\n' < \"$1\" | sort | uniq -c | sort -rn | head -1\n"),
        });
        await student.GetByRole(AriaRole.Button, new() { Name = "Submit" }).ClickAsync();
        await Expect(student.GetByText("Submitted: version 1 is in")).ToBeVisibleAsync();
        await student.Context.CloseAsync();

        var page = await portal.NewPageAsync();
        await page.SignInAsync("grader@demo.test");
        var toGrade = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Pipes and filters" });
        await Expect(toGrade).ToContainTextAsync("1 ungraded");
        await page.ScreenshotAsync("grader", "dashboard");

        await toGrade.GetByRole(AriaRole.Link, new() { Name = "Open queue" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Submissions" })).ToBeVisibleAsync();
        var queueRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Ada Lovelace" });
        await Expect(queueRow).ToContainTextAsync("Ungraded");
        await page.ScreenshotAsync("grader", "queue");

        await queueRow.GetByRole(AriaRole.Link, new() { Name = "Grade" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Ada Lovelace · version 1" })).ToBeVisibleAsync();
        await Expect(page.Locator("pre").First).ToContainTextAsync("uniq -c");
        await page.GetByLabel("Correctness").FillAsync("9");
        await page.GetByLabel("Readability").FillAsync("7.5");
        await page.GetByLabel("Comment for the student").FillAsync("Works; name the intermediate steps.");
        await page.GetByLabel("Release to the student now").CheckAsync();
        await page.ScreenshotAsync("grader", "grading");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save grade" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Grade saved" })).ToContainTextAsync("Grade saved and released.");
        await Expect(page.GetByText("Current: 16.5 / 20")).ToBeVisibleAsync();
        await page.ScreenshotAsync("grader", "graded");

        await page.GetByRole(AriaRole.Link, new() { Name = "LINUX101" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Gradebook" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Gradebook" })).ToBeVisibleAsync();
        var bookRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Ada Lovelace" });
        await Expect(bookRow).ToContainTextAsync("16.5");
        await page.ScreenshotAsync("grader", "gradebook");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
        var csv = await File.ReadAllTextAsync(await download.PathAsync());
        var adaLine = csv.Split('\n').Single(line => line.StartsWith("Ada Lovelace,", StringComparison.Ordinal));
        Assert.Contains("ada@demo.test", adaLine, StringComparison.Ordinal);
        Assert.Contains(",16.5,", adaLine, StringComparison.Ordinal);
    }
}
