using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;

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

        await Labs.ResumeSnapshotSteps.TakeResumeSnapshotAsync(lab.Portal, page, assignment);
        await page.GotoAsync($"{assignment}/lab");
        await Labs.LabSteps.WaitForLabPromptAsync(page);
        return page;
    }
}
