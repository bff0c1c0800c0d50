using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Display;

/// <summary>
/// Opening the virtio-gpu lab: the teacher has the portal snapshot the image's machine (the
/// snapshot job boots it on the server, virtio-gpu and all, to the session wait), and the student's
/// lab resumes from it, so the browser restores the GPU's resources and scanout instead of booting.
/// </summary>
public static class GpuLabSteps
{
    public static async Task<IPage> OpenResumedGpuLabAsync(DisplayLabFixture lab)
    {
        var page = await lab.Portal.NewPageAsync();
        var log = new StreamWriter(Path.Combine(Artifacts.Folder("logs"), "gpu-lab-browser-console.log"), append: false) { AutoFlush = true };
        page.Console += (_, message) => { lock (log) log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message.Type}: {message.Text}"); };
        await page.SignInAsync(Labs.BootedLabFixture.Student);
        await page.GetByRole(AriaRole.Link, new() { Name = DisplayLabFixture.GpuAssignment }).First.ClickAsync();
        string assignment = new Uri(page.Url).AbsolutePath.TrimStart('/');

        var teacher = await lab.Portal.NewPageAsync();
        await teacher.SignInAsync("teacher@demo.test");
        await teacher.GotoAsync($"{assignment}/checks");
        await teacher.GetByRole(AriaRole.Button, new() { Name = "Take it now" }).ClickAsync();
        await Expect(teacher.GetByText("booting for its snapshot")).ToBeVisibleAsync();
        await teacher.Context.CloseAsync();

        var deadline = Stopwatch.StartNew();
        while (!await HasResumeSnapshotAsync(page, assignment))
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(8))
                throw new TimeoutException("The virtio-gpu lab image's resume snapshot was not made within 8 minutes (see the portal's log).");
            await Task.Delay(2000);
        }
        await page.GotoAsync($"{assignment}/lab");
        await Labs.LabSteps.WaitForLabPromptAsync(page);
        return page;
    }

    private static async Task<bool> HasResumeSnapshotAsync(IPage page, string assignment)
    {
        var response = await page.APIRequest.GetAsync($"{assignment}/lab/machine.json");
        if (!response.Ok) return false;
        using var json = JsonDocument.Parse(await response.TextAsync());
        return json.RootElement.TryGetProperty("resume", out var resume) && resume.ValueKind == JsonValueKind.Object;
    }
}
