using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>
/// A portal whose lab image has a resume snapshot: the teacher asks for it on the assignment's checks
/// page (the snapshot job boots the lab image on the server in the browser's configuration), then the
/// student opens the lab, which resumes instead of booting. One snapshot for the class; each test
/// opens the lab again (a resume takes seconds, not the minutes of a boot in the browser).
/// </summary>
public sealed class ResumableLabFixture : IAsyncLifetime
{
    public const string Student = "linus@demo.test";
    public PortalFixture Portal { get; } = new();
    public IPage Page { get; private set; } = null!;
    public string AssignmentPath { get; private set; } = "";
    public TimeSpan FirstOpenToPrompt { get; private set; }

    public async Task InitializeAsync()
    {
        await Portal.InitializeAsync();
        Page = await Portal.NewPageAsync();
        var log = new StreamWriter(Path.Combine(Artifacts.Folder("logs"), "lab-resume-browser-console.log"), append: false) { AutoFlush = true };
        Page.Console += (_, message) => { lock (log) log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message.Type}: {message.Text}"); };
        await Page.SignInAsync(Student);
        await Page.GetByRole(AriaRole.Link, new() { Name = BootedLabFixture.Assignment }).First.ClickAsync();
        AssignmentPath = new Uri(Page.Url).AbsolutePath.TrimStart('/');

        await Portal.TakeResumeSnapshotAsync(Page, AssignmentPath);
        var watch = Stopwatch.StartNew();
        await Page.GotoAsync($"{AssignmentPath}/lab");
        await Page.WaitForLabPromptAsync();
        FirstOpenToPrompt = watch.Elapsed;
        await File.WriteAllTextAsync(Path.Combine(Artifacts.Folder("logs"), "lab-resume-open-to-prompt.txt"), $"{FirstOpenToPrompt.TotalSeconds:F1}\n");
    }

    public async Task DisposeAsync() => await Portal.DisposeAsync();
}

/// <summary>
/// Opening a lab whose image has a resume snapshot: the page says it resumed, the shell answers, the
/// guest's clock is today's (set from the session line), the home disk is the student's (a file survives
/// a reload that resumes again), submit works; a snapshot that arrives damaged gives a message and a boot.
/// </summary>
public sealed partial class LabResumeTests(ResumableLabFixture lab) : IClassFixture<ResumableLabFixture>
{
    [Fact]
    public async Task Open_WithSnapshot_ResumesToThePrompt_CommandsRun_AndTheClockIsNow()
    {
        var page = lab.Page;
        await Expect(page.Locator(".lab-resume-note")).ToHaveAttributeAsync("data-resumed", "true");
        await Expect(page.Locator(".lab-resume-note")).ToContainTextAsync("Resumed the lab's saved machine");
        await page.RunAsync("echo sum=$((6*7)) at=$(date +%s)-end");
        await page.ExpectOutputAsync("sum=42");
        var host = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var match = GuestTime().Match(await page.Terminal().InnerTextAsync());
        Assert.True(match.Success, "the guest printed its time");
        var guest = long.Parse(match.Groups[1].Value);
        // The snapshot was taken minutes ago on the server: the session line must have set the clock.
        Assert.InRange(guest, host - 120, host + 5);
        await page.ScreenshotAsync("student", "lab-resumed");
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(Artifacts.RepositoryRoot, "docs", "screenshots", "lab-terminal.png"),
            Clip = new Clip { X = 0, Y = 0, Width = 1280, Height = 800 },
        });
    }

    [Fact]
    public async Task FileInHome_SurvivesAReload_ThatResumesAgain()
    {
        var page = lab.Page;
        var name = $"resumed-{Guid.NewGuid().ToString("N")[..8]}.txt";
        // The kernel writes the file system's bitmaps back within about a second (guest-init.sh); give it two.
        await page.RunAsync($"echo \"kept $((6*7))\" > /root/{name}; r=$?; sleep 2; echo wrote-$((1+2))-$r");
        await page.ExpectOutputAsync("wrote-3-0");

        await page.ReloadAsync();
        await page.WaitForLabPromptAsync();
        await Expect(page.Locator(".lab-resume-note")).ToHaveAttributeAsync("data-resumed", "true");
        await Expect(page.Terminal()).Not.ToContainTextAsync("formatting the new home disk");
        await page.RunAsync($"cat /root/{name}");
        await page.ExpectOutputAsync("kept 42");
    }

    [Fact]
    public async Task Submit_AfterAResume_LandsAVersion()
    {
        var page = lab.Page;
        await page.RunAsync("cd /root && echo 'resumed work' > resumed.txt && submit resumed.txt");
        await page.ExpectOutputAsync("received: 1 file(s)");
        await Expect(page.Locator(".lab-submission")).ToContainTextAsync("Submitted resumed.txt: version");
    }

    [Fact]
    public async Task FirstOpen_Resumes_WithoutFetchingTheBootFiles_AndResetMachineResumesAgain()
    {
        // A fresh browser context: nothing cached, so every file the lab needs comes over the network.
        var page = await lab.Portal.NewPageAsync();
        await page.SignInAsync(ResumableLabFixture.Student);
        var bootFiles = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/lab/boot/")) lock (bootFiles) bootFiles.Add(request.Url);
        };
        await page.GotoAsync($"{lab.AssignmentPath}/lab");
        await page.WaitForLabPromptAsync();
        await Expect(page.Locator(".lab-resume-note")).ToHaveAttributeAsync("data-resumed", "true");

        await page.GetByRole(AriaRole.Button, new() { Name = "Reset machine" }).ClickAsync();
        // The shell's marker again, after the reset's line: the new machine's prompt, not the old one's.
        await Expect(page.Terminal()).ToHaveTextAsync(new Regex(@"\[machine reset\][\s\S]*WEBVM-SHELL-READY"), new() { Timeout = 120_000 });
        await page.RunAsync("echo again-$((20+22))");
        await page.ExpectOutputAsync("again-42");
        await Expect(page.Locator(".lab-resume-note")).ToHaveAttributeAsync("data-resumed", "true");
        lock (bootFiles) Assert.Empty(bootFiles);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task DamagedSnapshot_SaysSo_AndBoots()
    {
        // A fresh browser context: an empty chunk cache, so every chunk comes over the network, and one
        // arrives damaged (as a broken proxy or disk would deliver it).
        var page = await lab.Portal.NewPageAsync();
        await page.SignInAsync(ResumableLabFixture.Student);
        var damaged = 0;
        await page.RouteAsync(new Regex("/chunks/[0-9a-f]{64}$"), async route =>
        {
            if (Interlocked.Increment(ref damaged) == 1)
                await route.FulfillAsync(new() { Status = 200, BodyBytes = new byte[4096] });
            else
                await route.ContinueAsync();
        });
        await page.GotoAsync($"{lab.AssignmentPath}/lab");
        var note = page.Locator(".lab-resume-note");
        await Expect(note).ToHaveAttributeAsync("data-resumed", "false", new() { Timeout = 120_000 });
        await Expect(note).ToContainTextAsync("arrived damaged");
        await Expect(note).ToContainTextAsync("starts from scratch");
        // It boots: the kernel stage, not a failure (the boot to the prompt is LabTests' subject).
        await Expect(page.Locator(".lab-machine")).ToHaveAttributeAsync("data-stage", "kernel");
        await Expect(page.Locator(".lab-error")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [GeneratedRegex(@"at=(\d{9,})-end")]
    private static partial Regex GuestTime();
}
