using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>
/// The student's home disk in the browser (/root on a virtio-blk disk whose changes live in
/// IndexedDB): files survive a reload, Reset disk asks first and then forgets only this lab's files,
/// and a full browser store is shown on the page. One boot for the class, plus one per reload/reset.
/// Guest commands print computed markers (e.g. $((2+2))) so the typed command line never matches.
/// </summary>
public sealed class LabHomeDiskTests(BootedLabFixture lab) : IClassFixture<BootedLabFixture>
{
    private static string NewFileName() => $"kept-{Guid.NewGuid().ToString("N")[..8]}.txt";

    [Fact]
    public async Task FileWrittenInHome_IsThereAfterAReload()
    {
        var page = lab.Page;
        var name = NewFileName();
        await page.RunAsync($"pwd; echo \"notes of $((6*7))\" > {name}; echo wrote-$((1+1))-$?");
        await page.ExpectOutputAsync("wrote-2-0");
        await Expect(page.Terminal()).ToContainTextAsync("/root");

        await page.ReloadAsync();
        await page.WaitForLabPromptAsync();
        // The same disk: mounted, not formatted again.
        await Expect(page.Terminal()).Not.ToContainTextAsync("formatting the new home disk");
        await page.RunAsync($"cat /root/{name}");
        await page.ExpectOutputAsync("notes of 42");
        await page.ScreenshotAsync("student", "lab-files-after-reload");
    }

    [Fact]
    public async Task ResetDisk_CancelKeepsTheFiles_ConfirmForgetsThemAndRestarts()
    {
        var page = lab.Page;
        var name = NewFileName();
        await page.RunAsync($"echo keep > /root/{name}; echo wrote-$((2+2))-$?");
        await page.ExpectOutputAsync("wrote-4-0");

        // Cancel: nothing lost, the machine keeps running.
        await page.GetByRole(AriaRole.Button, new() { Name = "Reset disk" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Alertdialog);
        await Expect(dialog).ToContainTextAsync("Reset the disk to the image?");
        await page.ScreenshotAsync("student", "lab-reset-disk-confirm");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await page.RunAsync($"[ -e /root/{name} ] && echo present-$((3+3)) || echo absent-$((3+3))");
        await page.ExpectOutputAsync("present-6");

        // Confirm: this lab's changes are gone and the machine boots on a fresh home disk.
        await page.GetByRole(AriaRole.Button, new() { Name = "Reset disk" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete my changes and restart" }).ClickAsync();
        await page.ExpectOutputAsync("[disk reset to the image; restarting]");
        await Expect(page.Locator(".lab-machine")).Not.ToHaveAttributeAsync("data-stage", "ready");
        await page.WaitForLabPromptAsync();
        await Expect(page.Terminal()).ToContainTextAsync("formatting the new home disk");
        await page.RunAsync($"[ -e /root/{name} ] && echo present-$((4+4)) || echo absent-$((4+4))");
        await page.ExpectOutputAsync("absent-8");
    }

    [Fact]
    public async Task BrowserStoreFull_ThePageSaysSo()
    {
        var page = lab.Page;
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var origin = lab.Portal.BaseAddress.GetLeftPart(UriPartial.Authority);
        // A real quota just above what the site already stores: Chromium refuses the next writes.
        var usage = await page.EvaluateAsync<long>("async () => (await navigator.storage.estimate()).usage");
        await cdp.SendAsync("Storage.overrideQuotaForOrigin", new Dictionary<string, object> { ["origin"] = origin, ["quotaSize"] = usage + 64 * 1024 });
        try
        {
            await page.RunAsync("dd if=/dev/urandom of=/root/big bs=1k count=2048 2>&1 | tail -1; echo dd-done-$((5+5))");
            await page.ExpectOutputAsync("dd-done-10");
            await Expect(page.Locator(".lab-disk-error")).ToContainTextAsync("no room left", new() { Timeout = 60_000 });
            await page.ScreenshotAsync("student", "lab-disk-full");
        }
        finally
        {
            await cdp.SendAsync("Storage.overrideQuotaForOrigin", new Dictionary<string, object> { ["origin"] = origin });
            await page.RunAsync("rm -f /root/big; echo removed-$((6+6))");
            await page.ExpectOutputAsync("removed-12");
        }
    }
}
