using System.Diagnostics;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using Platform.Web.EndToEnd.Labs;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Display;

/// <summary>
/// A teacher registers a lab image with a display (webvm.display=1024x768 on its kernel command
/// line) and gives it to "Files and folders"; the student opens that lab, which boots once in
/// headless Chromium for the class. A second image asks for a mode the engine cannot offer; a third
/// (webvm.gpu=virtio) gives "Shell scripts with arguments" a virtio-gpu (KMS) display.
/// </summary>
public sealed class DisplayLabFixture : IAsyncLifetime
{
    public const string DisplayImage = "busybox-display";
    public const string BadDisplayImage = "busybox-bad-display";
    public const string BadAssignment = "Pipes and filters";
    public const string CommandLine = "console=tty0 console=ttyS0 quiet cryptomgr.notests noisapnp webvm.display=1024x768";
    public const string GpuImage = "busybox-gpu";
    public const string GpuAssignment = "Shell scripts with arguments";
    public const string GpuCommandLine = CommandLine + " webvm.gpu=virtio";

    public PortalFixture Portal { get; } = new();
    public IPage Page { get; private set; } = null!;
    public TimeSpan OpenToPrompt { get; private set; }

    public async Task InitializeAsync()
    {
        await Portal.InitializeAsync();
        var teacher = await Portal.NewPageAsync();
        await teacher.SignInAsync("teacher@demo.test");
        await RegisterImageAsync(teacher, DisplayImage, CommandLine);
        await RegisterImageAsync(teacher, BadDisplayImage, "console=ttyS0 quiet webvm.display=5000x10");
        await UseImageAsync(teacher, BootedLabFixture.Assignment, DisplayImage);
        await UseImageAsync(teacher, BadAssignment, BadDisplayImage);
        await RegisterImageAsync(teacher, GpuImage, GpuCommandLine);
        await UseImageAsync(teacher, GpuAssignment, GpuImage);
        await teacher.Context.CloseAsync();

        Page = await Portal.NewPageAsync();
        var log = new StreamWriter(Path.Combine(Artifacts.Folder("logs"), "display-lab-browser-console.log"), append: false) { AutoFlush = true };
        Page.Console += (_, message) => { lock (log) log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message.Type}: {message.Text}"); };
        Page.PageError += (_, error) => { lock (log) log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} pageerror: {error}"); };
        await Page.SignInAsync(BootedLabFixture.Student);
        await Page.GetByRole(AriaRole.Link, new() { Name = BootedLabFixture.Assignment }).First.ClickAsync();
        var watch = Stopwatch.StartNew();
        await Page.GetByRole(AriaRole.Link, new() { Name = "Open lab" }).ClickAsync();
        await Page.WaitForLabPromptAsync();
        OpenToPrompt = watch.Elapsed;
        await File.WriteAllTextAsync(Path.Combine(Artifacts.Folder("logs"), "display-lab-open-to-prompt.txt"), $"{OpenToPrompt.TotalSeconds:F1}\n");
    }

    private static async Task RegisterImageAsync(IPage teacher, string name, string commandLine)
    {
        await teacher.GotoAsync(PageSteps.DemoSchool);
        await teacher.GetByRole(AriaRole.Link, new() { Name = "Courses" }).ClickAsync();
        await teacher.GetByRole(AriaRole.Link).Filter(new() { HasText = "Introduction to Linux" }).First.ClickAsync();
        var form = teacher.Locator("form").Filter(new() { Has = teacher.GetByRole(AriaRole.Button, new() { Name = "Register image" }) });
        await form.GetByLabel("Name").FillAsync(name);
        await form.GetByLabel("Version").FillAsync("1");
        await form.GetByLabel("Memory (MiB)").FillAsync("128");
        await form.GetByLabel("Description").FillAsync("BusyBox with a screen, keyboard and pointer.");
        await form.GetByLabel("Kernel command line").FillAsync(commandLine);
        await form.GetByRole(AriaRole.Button, new() { Name = "Register image" }).ClickAsync();
        await Expect(teacher.GetByRole(AriaRole.Status)).ToContainTextAsync($"{name} 1 registered.");
    }

    private static async Task UseImageAsync(IPage teacher, string assignment, string image)
    {
        await teacher.GetByRole(AriaRole.Link, new() { Name = assignment }).First.ClickAsync();
        await teacher.GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await teacher.GetByLabel("Lab image").SelectOptionAsync(new SelectOptionValue { Label = $"{image} 1" });
        await teacher.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(teacher.GetByRole(AriaRole.Heading, new() { Name = assignment }).First).ToBeVisibleAsync();
        await teacher.GetByRole(AriaRole.Link).Filter(new() { HasText = "LINUX101" }).First.ClickAsync();
    }

    public async Task DisposeAsync() => await Portal.DisposeAsync();
}
