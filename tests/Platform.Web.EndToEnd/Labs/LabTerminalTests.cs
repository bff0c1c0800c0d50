using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>The student's lab in headless Chromium: the machine boots in the page and its shell answers.</summary>
public sealed class LabTerminalTests(BootedLabFixture lab) : IClassFixture<BootedLabFixture>
{
    [Fact]
    public async Task OpenLab_BootsToPrompt_CommandsAnswerInTheTerminal()
    {
        var page = lab.Page;
        await Expect(page.Locator(".lab-stages li.done")).ToHaveCountAsync(3);
        await page.RunAsync("echo sum=$((6*7)) kernel=$(uname -r)");
        await page.ExpectOutputAsync("sum=42");
        await Expect(page.Terminal()).ToContainTextAsync("kernel=6.1.0");
        // A pipe through two programs and a file in the guest's tmpfs.
        await page.RunAsync("printf 'b\\na\\nc\\n' | sort | tr '\\n' , > /tmp/sorted; cat /tmp/sorted; echo");
        await page.ExpectOutputAsync("a,b,c,");
        await page.ScreenshotAsync("student", "lab-terminal");
    }

    [Fact]
    public async Task Pause_StopsTheMachine_ResumeContinuesIt()
    {
        var page = lab.Page;
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Paused" })).ToBeVisibleAsync();
        // Keys typed while paused are not taken: the machine is stopped.
        await page.RunAsync("echo while-paused");
        await page.WaitForTimeoutAsync(1500);
        await Expect(page.Terminal()).Not.ToContainTextAsync("while-paused");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await page.RunAsync("echo after-$((40+2))-resume");
        await page.ExpectOutputAsync("after-42-resume");
    }
}
