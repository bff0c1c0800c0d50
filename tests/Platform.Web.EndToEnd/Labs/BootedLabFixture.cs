using System.Diagnostics;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>
/// A portal, a headless Chromium, and a student whose lab machine has booted to its prompt in that
/// browser. Booting in the browser takes minutes (Vm.Engine interpreted by .NET's WebAssembly
/// runtime), so a test class boots once and its tests share the machine.
/// </summary>
public sealed class BootedLabFixture : IAsyncLifetime
{
    public const string Student = "linus@demo.test";
    public const string Assignment = "Files and folders";
    /// <summary>Generous: the boot is ~3 G guest instructions on a shared two-core machine.</summary>
    public static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(12);

    public PortalFixture Portal { get; } = new();
    public IPage Page { get; private set; } = null!;
    public TimeSpan OpenToPrompt { get; private set; }
    public string ConsoleLog => Path.Combine(Artifacts.Folder("logs"), "lab-browser-console.log");

    public async Task InitializeAsync()
    {
        await Portal.InitializeAsync();
        Page = await Portal.NewPageAsync();
        var log = new StreamWriter(ConsoleLog, append: false) { AutoFlush = true };
        Page.Console += (_, message) => { lock (log) log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message.Type}: {message.Text}"); };
        Page.PageError += (_, error) => { lock (log) log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} pageerror: {error}"); };
        await Page.SignInAsync(Student);
        await Page.GetByRole(AriaRole.Link, new() { Name = Assignment }).First.ClickAsync();
        var watch = Stopwatch.StartNew();
        await Page.GetByRole(AriaRole.Link, new() { Name = "Open lab" }).ClickAsync();
        await Page.WaitForLabPromptAsync();
        OpenToPrompt = watch.Elapsed;
        await File.WriteAllTextAsync(Path.Combine(Artifacts.Folder("logs"), "lab-open-to-prompt.txt"), $"{OpenToPrompt.TotalSeconds:F1}\n");
    }

    public async Task DisposeAsync() => await Portal.DisposeAsync();
}

/// <summary>What a student does with the lab's terminal.</summary>
public static class LabSteps
{
    public static ILocator Terminal(this IPage page) => page.Locator(".lab-terminal .xterm-rows");

    public static async Task WaitForLabPromptAsync(this IPage page)
    {
        await Expect(page.Locator(".lab-machine")).ToHaveAttributeAsync("data-stage", "ready",
            new() { Timeout = (float)BootedLabFixture.BootTimeout.TotalMilliseconds });
        await Expect(page.Terminal()).ToContainTextAsync("WEBVM-SHELL-READY");
    }

    /// <summary>Types a command line into the terminal, as a person would, and presses Enter.</summary>
    public static async Task RunAsync(this IPage page, string command)
    {
        await page.Locator(".lab-terminal").ClickAsync();
        await page.Keyboard.TypeAsync(command);
        await page.Keyboard.PressAsync("Enter");
    }

    /// <summary>Waits until the terminal shows <paramref name="text"/> (guest commands on a shared machine: allow a minute).</summary>
    public static Task ExpectOutputAsync(this IPage page, string text) =>
        Expect(page.Terminal()).ToContainTextAsync(text, new() { Timeout = 60_000 });
}
