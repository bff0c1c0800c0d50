using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>
/// The student's lab in headless Chromium, on one machine booted once for the class (see
/// <see cref="BootedLabFixture"/>): the shell answers in the terminal, pause holds the machine, and
/// `submit` inside the machine hands work in that a grader sees, exactly once even when the
/// connection drops mid-way.
/// </summary>
public sealed partial class LabTests(BootedLabFixture lab) : IClassFixture<BootedLabFixture>
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
        // The submit port `submit` uses: the virtio-console port named by the machine.
        await page.RunAsync("echo ports=$(cat /sys/class/virtio-ports/*/name)");
        await page.ExpectOutputAsync("ports=org.webvm.submit");
        await page.ScreenshotAsync("student", "lab-terminal");
    }

    [Fact]
    public async Task Pause_HoldsTheMachine_ResumeContinuesIt()
    {
        var page = lab.Page;
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Paused" })).ToBeVisibleAsync();
        // Keys typed while paused are not taken: the machine is stopped.
        await page.RunAsync("echo while-paused-$((1+1))");
        await page.WaitForTimeoutAsync(1500);
        await Expect(page.Terminal()).Not.ToContainTextAsync("while-paused-2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await page.RunAsync("echo after-$((40+2))-resume");
        await page.ExpectOutputAsync("after-42-resume");
    }

    [Fact]
    public async Task SubmitInsideTheMachine_GraderSeesItLiveWithItsFiles()
    {
        // The grader watches the queue in a browser context of their own.
        var grader = await lab.Portal.NewPageAsync();
        await grader.SignInAsync("grader@demo.test");
        await grader.GetByRole(AriaRole.Row).Filter(new() { HasText = BootedLabFixture.Assignment })
            .GetByRole(AriaRole.Link, new() { Name = "Open queue" }).ClickAsync();
        await Expect(grader.Locator("submission-watch")).ToHaveAttributeAsync("data-state", "live");

        var page = lab.Page;
        int before = await VersionsSubmittedAsync();
        await page.RunAsync("mkdir -p /root/work && cd /root/work && echo 'hello from the lab' > answer.txt && ls / > listing.txt && submit answer.txt listing.txt");
        await page.ExpectOutputAsync($"version {before + 1} received: 2 file(s)");
        await Expect(page.Locator(".lab-submission")).ToContainTextAsync($"Submitted answer.txt, listing.txt: version {before + 1} received");
        await page.ScreenshotAsync("student", "lab-submitted");

        // The queue reloads itself when the work arrives.
        var row = grader.GetByRole(AriaRole.Row).Filter(new() { HasText = "Linus Student" });
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await row.GetByRole(AriaRole.Link, new() { Name = "Grade" }).ClickAsync();
        await Expect(grader.GetByRole(AriaRole.Heading, new() { Name = $"Linus Student · version {before + 1}" })).ToBeVisibleAsync();
        await Expect(grader.Locator("pre").Filter(new() { HasText = "hello from the lab" })).ToBeVisibleAsync();
        await Expect(grader.Locator("pre").Filter(new() { HasText = "proc" })).ToBeVisibleAsync();
        await grader.ScreenshotAsync("grader", "lab-submission");
        await grader.Context.CloseAsync();
    }

    [Fact]
    public async Task SubmitFromTheMachine_RefusedFile_ShowsTheReasonInTheGuest()
    {
        var page = lab.Page;
        await page.RunAsync("submit /tmp/does-not-exist.txt; echo exit=$?");
        await page.ExpectOutputAsync("submit: /tmp/does-not-exist.txt: no such file");
        await page.ExpectOutputAsync("exit=2");
    }

    [Fact]
    public async Task SubmitFromTheMachine_ConnectionCutBeforeTheAnswer_RetryLandsExactlyOneSubmission()
    {
        var page = lab.Page;
        int before = await VersionsSubmittedAsync();
        // Cut the hub connection at the worst moment: the portal has stored the submission, and its
        // answer to CompleteSubmission is dropped on the way back, so the browser cannot know.
        bool cut = false;
        await page.RouteWebSocketAsync(HubSocket(), ws =>
        {
            var server = ws.ConnectToServer();
            bool completing = false;
            ws.OnMessage(frame =>
            {
                if (frame.Text is { } text)
                {
                    if (!cut && text.Contains("\"CompleteSubmission\"", StringComparison.Ordinal)) completing = true;
                    server.Send(text);
                }
                else server.Send(frame.Binary!);
            });
            server.OnMessage(frame =>
            {
                if (completing && !cut && frame.Text is { } text && text.Contains("\"type\":3", StringComparison.Ordinal))
                {
                    cut = true;
                    _ = server.CloseAsync();
                    _ = ws.CloseAsync();
                    return;
                }
                if (frame.Text is { } t) ws.Send(t); else ws.Send(frame.Binary!);
            });
        });
        try
        {
            await page.RunAsync("echo 'second try' > /root/retry.txt && submit /root/retry.txt");
            await page.ExpectOutputAsync("submit: connection lost");
            await page.ExpectOutputAsync($"version {before + 1} received: 1 file(s)");
        }
        finally
        {
            await page.UnrouteAllAsync(new() { Behavior = UnrouteBehavior.IgnoreErrors });
        }
        Assert.True(cut, "the test never cut the connection: the upload did not go through the hub's WebSocket");
        Assert.Equal(before + 1, await VersionsSubmittedAsync());
    }

    /// <summary>How many versions the student has handed in, as their assignment page lists them.</summary>
    private async Task<int> VersionsSubmittedAsync()
    {
        var other = await lab.Page.Context.NewPageAsync();
        try
        {
            await other.GotoAsync(lab.Page.Url.Replace("/lab", "", StringComparison.Ordinal));
            await Expect(other.GetByRole(AriaRole.Heading, new() { Name = "Hand in" })).ToBeVisibleAsync();
            return await other.GetByRole(AriaRole.Link, new() { NameRegex = VersionLink() }).CountAsync();
        }
        finally
        {
            await other.CloseAsync();
        }
    }

    [GeneratedRegex("^Version \\d+$")]
    private static partial Regex VersionLink();

    [GeneratedRegex("hubs/submissions")]
    private static partial Regex HubSocket();
}
