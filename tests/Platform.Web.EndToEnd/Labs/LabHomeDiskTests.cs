using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>
/// The student's home disk in the browser (/root on a virtio-blk disk whose changes live in
/// IndexedDB): files survive a reload, Reset disk asks first and then forgets only this lab's files,
/// a full browser store is shown on the page, and the terminal's size reaches the guest. One boot for the class, plus one per reload/reset.
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
        // No sync and an immediate reload, as a student would: ext4 without a journal may not have
        // written its allocation bitmaps yet; the init's e2fsck repairs that before mounting.
        await page.RunAsync($"pwd; echo \"notes of $((6*7))\" > {name}; echo wrote-$((1+1))-$?");
        await page.ExpectOutputAsync("wrote-2-0");
        await Expect(page.Terminal()).ToContainTextAsync("/root");

        await page.ReloadAsync();
        await page.WaitForLabPromptAsync();
        // The same disk: mounted, not formatted again.
        await Expect(page.Terminal()).Not.ToContainTextAsync("formatting the new home disk");
        await page.RunAsync($"cat /root/{name}");
        await page.ExpectOutputAsync("notes of 42");
        // And still sound: a new file goes in without the kernel finding damage.
        await page.RunAsync($"echo next > /root/second-{name} && cat /root/second-{name}; echo ext4-errors-$(dmesg | grep -c 'EXT4-fs error')-$((5+5))");
        await page.ExpectOutputAsync("ext4-errors-0-10");
        await page.ScreenshotAsync("student", "lab-files-after-reload");
    }

    [Fact]
    public async Task ResetDisk_CancelKeepsTheFiles_ConfirmForgetsThemAndRestarts_ThenNothingToDownload()
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

        // A fresh home has nothing to download, and the page says so.
        await page.GetByRole(AriaRole.Button, new() { Name = "Download my files" }).ClickAsync();
        await Expect(page.Locator(".lab-files")).ToContainTextAsync("nothing to download");
    }

    [Fact]
    public async Task DownloadMyFiles_GivesTheHomeFoldersFilesAsATar()
    {
        var page = lab.Page;
        var name = NewFileName();
        await page.RunAsync($"mkdir -p /root/proj && echo \"line $((7*6))\" > /root/proj/{name}; echo wrote-$((5+4))-$?");
        await page.ExpectOutputAsync("wrote-9-0");
        var downloading = page.WaitForDownloadAsync(new() { Timeout = 120_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Download my files" }).ClickAsync();
        // The page's message first: if collecting failed, it says why.
        await Expect(page.Locator(".lab-files")).ToContainTextAsync("Downloaded", new() { Timeout = 120_000 });
        var download = await downloading;
        Assert.EndsWith("-files.tar", download.SuggestedFilename, StringComparison.Ordinal);
        var files = new Dictionary<string, string>();
        // Playwright's download stream reads only asynchronously; TarReader reads synchronously.
        using (var reader = new System.Formats.Tar.TarReader(File.OpenRead(await download.PathAsync())))
            while (reader.GetNextEntry() is { } e)
                if (e.DataStream is { } data)
                    files[e.Name] = await new StreamReader(data).ReadToEndAsync();
        Assert.Equal("line 42\n", files[$"proj/{name}"]);
        Assert.DoesNotContain(files.Keys, k => k.StartsWith("lost+found", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TerminalResize_ReachesTheGuest_SttySizeMatches()
    {
        var page = lab.Page;
        var terminal = page.Locator(".lab-terminal");
        async Task ExpectGuestSizeMatchesAsync(string marker)
        {
            var rows = await terminal.GetAttributeAsync("data-rows");
            var cols = await terminal.GetAttributeAsync("data-cols");
            await page.RunAsync($"echo {marker}=$(stty size)=$((1))");
            await page.ExpectOutputAsync($"{marker}={rows} {cols}=1");
        }
        await ExpectGuestSizeMatchesAsync("before");
        var cols = await terminal.GetAttributeAsync("data-cols");
        var viewport = page.ViewportSize!;
        await page.SetViewportSizeAsync(viewport.Width - 300, viewport.Height);
        try
        {
            await Expect(terminal).Not.ToHaveAttributeAsync("data-cols", cols!);
            await ExpectGuestSizeMatchesAsync("after");
        }
        finally
        {
            await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
        }
    }

    [Fact]
    public async Task BrowserStoreFull_ThePageSaysSo()
    {
        var page = lab.Page;
        var console = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void OnConsole(object? sender, IConsoleMessage message) => console.Enqueue(message.Text);
        page.Console += OnConsole;
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var origin = lab.Portal.BaseAddress.GetLeftPart(UriPartial.Authority);
        // A real quota below what the site already stores: Chromium refuses every further write.
        await cdp.SendAsync("Storage.overrideQuotaForOrigin", new Dictionary<string, object> { ["origin"] = origin, ["quotaSize"] = 1024 });
        try
        {
            await page.RunAsync("dd if=/dev/urandom of=/root/big bs=1k count=2048 2>&1 | tail -1; echo dd-done-$((5+5))");
            await page.ExpectOutputAsync("dd-done-10");
            try
            {
                await Expect(page.Locator(".lab-disk-error")).ToContainTextAsync("no room left", new() { Timeout = 60_000 });
            }
            catch (PlaywrightException e)
            {
                // What the lab and the guest said: a store that never filled, or an error the page did not show.
                await page.RunAsync("dmesg | tail -5");
                await Task.Delay(2000);
                var text = await page.Terminal().InnerTextAsync();
                var dmesg = text[Math.Max(0, text.Length - 800)..];
                throw new Xunit.Sdk.XunitException($"{e.Message}\nbrowser console:\n{string.Join("\n", console)}\nguest dmesg:\n{dmesg}");
            }
            await page.ScreenshotAsync("student", "lab-disk-full");
        }
        finally
        {
            page.Console -= OnConsole;
            await cdp.SendAsync("Storage.overrideQuotaForOrigin", new Dictionary<string, object> { ["origin"] = origin });
            await page.RunAsync("rm -f /root/big; echo removed-$((6+6))");
            await page.ExpectOutputAsync("removed-12");
        }
    }
}
