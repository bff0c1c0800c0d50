using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>A lab image's resume snapshot, asked for as a teacher asks for it.</summary>
public static class ResumeSnapshotSteps
{
    /// <summary>
    /// The teacher presses "Take it now" on the assignment's checks page (the snapshot job boots the
    /// lab image on the server in the browser's configuration), then this waits until the lab's
    /// machine.json, as <paramref name="student"/> gets it, names the snapshot.
    /// </summary>
    public static async Task TakeResumeSnapshotAsync(this PortalFixture portal, IPage student, string assignmentPath)
    {
        var teacher = await portal.NewPageAsync();
        await teacher.SignInAsync("teacher@demo.test");
        await teacher.GotoAsync($"{assignmentPath}/checks");
        await teacher.GetByRole(AriaRole.Button, new() { Name = "Take it now" }).ClickAsync();
        await Expect(teacher.GetByText("booting for its snapshot")).ToBeVisibleAsync();
        await teacher.Context.CloseAsync();

        // The job boots the machine on the server (CoreCLR, instruction time): well under a minute when idle.
        var deadline = Stopwatch.StartNew();
        while (!await student.HasResumeSnapshotAsync(assignmentPath))
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(8))
                throw new TimeoutException($"The resume snapshot of {assignmentPath}'s lab image was not made within 8 minutes (see the portal's log).");
            await Task.Delay(2000);
        }
    }

    /// <summary>What the lab page itself asks the portal for: does the machine name a snapshot?</summary>
    public static async Task<bool> HasResumeSnapshotAsync(this IPage page, string assignmentPath)
    {
        var response = await page.APIRequest.GetAsync($"{assignmentPath}/lab/machine.json");
        if (!response.Ok) return false;
        using var json = JsonDocument.Parse(await response.TextAsync());
        return json.RootElement.TryGetProperty("resume", out var resume) && resume.ValueKind == JsonValueKind.Object;
    }
}
