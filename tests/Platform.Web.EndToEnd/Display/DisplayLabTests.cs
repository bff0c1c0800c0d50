using System.Text.Json;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using Platform.Web.EndToEnd.Labs;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Display;

/// <summary>
/// The lab's Display view in Chromium on the real kernel: the canvas shows the guest's framebuffer
/// (pixels of a pattern the guest drew), keys typed on the canvas run in the guest, and a lab image
/// with a mode the engine cannot offer fails with a clear message. A virtio-gpu image's lab, resumed
/// from the portal's snapshot, shows the GPU's scanout the same way.
/// </summary>
public sealed class DisplayLabTests(DisplayLabFixture lab) : IClassFixture<DisplayLabFixture>
{
    private const string Canvas = ".lab-display canvas";

    [Fact]
    public async Task DisplayView_ShowsTheGuestsFramebuffer_PixelsOfAPatternTheGuestDrew()
    {
        var page = lab.Page;
        // 64 pixels of 0xAA5533 at (512, 700), drawn by a guest program into /dev/fb0.
        await page.RunAsync("i=0; while [ $i -lt 64 ]; do printf '\\063\\125\\252\\000'; i=$((i+1)); done > /tmp/p; dd if=/tmp/p of=/dev/fb0 bs=2048 seek=1401 conv=notrunc && echo pattern-$((40+2))-drawn");
        await page.ExpectOutputAsync("pattern-42-drawn");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Display" }).ClickAsync();
        await Expect(page.Locator(".lab-terminal")).ToBeHiddenAsync();
        await Expect(page.Locator(Canvas)).ToBeVisibleAsync();
        // The keyboard goes to whichever view is shown.
        await Expect(page.Locator(Canvas)).ToBeFocusedAsync();
        await Expect(page.Locator(Canvas)).ToHaveAttributeAsync("width", "1024");
        // The screen fits the page: scaled down, never wider than the lab.
        var box = (await page.Locator(Canvas).BoundingBoxAsync())!;
        var labBox = (await page.Locator(".lab-machine").BoundingBoxAsync())!;
        Assert.True(box.X + box.Width <= labBox.X + labBox.Width + 1, $"canvas right edge {box.X + box.Width} past the lab's {labBox.X + labBox.Width}");
        await page.WaitForFunctionAsync(
            "() => { const c = document.querySelector('.lab-display canvas'); const p = c.getContext('2d').getImageData(540, 700, 1, 1).data; return p[0] === 0xAA && p[1] === 0x55 && p[2] === 0x33; }",
            null, new() { Timeout = 30_000 });
        Assert.Equal(new[] { 0xAA, 0x55, 0x33, 0xFF }, await PixelAsync(page, 512, 700));
        Assert.Equal(new[] { 0xAA, 0x55, 0x33, 0xFF }, await PixelAsync(page, 575, 700));
        Assert.Equal(new[] { 0, 0, 0, 0xFF }, await PixelAsync(page, 576, 700));
        Assert.Equal(new[] { 0, 0, 0, 0xFF }, await PixelAsync(page, 540, 701));
        await page.ScreenshotAsync("student", "lab-display");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Terminal" }).ClickAsync();
        await Expect(page.Locator(".lab-terminal")).ToBeVisibleAsync();
        await Expect(page.Locator(".lab-terminal textarea")).ToBeFocusedAsync();
    }

    [Fact]
    public async Task KeysTypedOnTheDisplay_RunInTheShellOnTheScreen()
    {
        var page = lab.Page;
        await page.GetByRole(AriaRole.Tab, new() { Name = "Display" }).ClickAsync();
        await page.Locator(Canvas).ClickAsync();
        await Expect(page.Locator(Canvas)).ToBeFocusedAsync();
        // Letters, digits, '-', '/' and space: no shifted characters, whatever the browser's layout.
        await page.Keyboard.TypeAsync("uname -sr");
        await page.Keyboard.PressAsync("Enter");
        await page.Keyboard.TypeAsync("touch /tmp/typed-on-the-display");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForTimeoutAsync(1000);
        await page.ScreenshotAsync("student", "lab-display-typed");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Terminal" }).ClickAsync();
        await page.RunAsync("for i in $(seq 1 50); do [ -e /tmp/typed-on-the-display ] && break; sleep 0.2; done; ls /tmp/typed-on-the-display && echo display-typing-ok");
        await page.ExpectOutputAsync("display-typing-ok");

        // The commands and uname's answer are on the screen now: the picture docs/display.md shows.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Display" }).ClickAsync();
        await Expect(page.Locator(Canvas)).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(1500);
        await DocumentationScreenshot.SaveAsync(page, "lab-display");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Terminal" }).ClickAsync();
    }

    [Fact]
    public async Task LabImageWithAnUnsupportedMode_ShowsAClearErrorAndNoDisplay()
    {
        var page = await lab.Portal.NewPageAsync();
        await page.SignInAsync(BootedLabFixture.Student);
        await page.GetByRole(AriaRole.Link, new() { Name = DisplayLabFixture.BadAssignment }).First.ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Open lab" }).ClickAsync();
        await Expect(page.Locator(".lab-error")).ToContainTextAsync("Display mode 5000x10 is not supported", new() { Timeout = 120_000 });
        await Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Display" })).ToHaveCountAsync(0);
        await page.ScreenshotAsync("student", "lab-display-unsupported-mode");
        await page.Context.CloseAsync();
    }

    /// <summary>The eight colour bars the guest draws, as the canvas shows them (R, G, B).</summary>
    private static readonly (int R, int G, int B)[] Bars =
        [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (255, 0, 0), (0, 0, 255), (128, 128, 128)];

    [Fact]
    public async Task GpuImage_ResumedLab_DisplayViewShowsTheVirtioGpuScanout()
    {
        var page = await GpuLabSteps.OpenResumedGpuLabAsync(lab);
        // The browser restored the GPU from the snapshot: a boot would not say it resumed.
        await Expect(page.Locator(".lab-resume-note")).ToHaveAttributeAsync("data-resumed", "true");
        await page.RunAsync("cat /sys/class/graphics/fb0/name; ls /dev/dri | grep -q card0 && echo kms-$((40+2))-ok");
        await page.ExpectOutputAsync("kms-42-ok");
        await Expect(page.Terminal()).ToContainTextAsync("virtio_gpudrmfb");

        // Eight 128-pixel colour bars on rows 512..767, written by the guest into DRM's fbdev
        // emulation (/dev/fb0): bytes B, G, R, X per pixel; printf reuses its format once per argument.
        // One 1 MiB write: Linux 6.1 loses the damage of a write of exactly one scanline (see VirtioGpuBootTests).
        await page.RunAsync("n=$(seq 128); for c in '\\377\\377\\377' '\\000\\377\\377' '\\377\\377\\000' '\\000\\377\\000' '\\377\\000\\377' '\\000\\000\\377' '\\377\\000\\000' '\\200\\200\\200'; " +
            "do printf \"$c\\000%.0s\" $n; done > /tmp/r; for i in 1 2 3 4 5 6 7 8; do cat /tmp/r /tmp/r > /tmp/s; mv /tmp/s /tmp/r; done; " +
            "dd if=/tmp/r of=/dev/fb0 bs=1048576 seek=2 2>/dev/null && echo bars-$((6*7))-drawn");
        await page.ExpectOutputAsync("bars-42-drawn");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Display" }).ClickAsync();
        await Expect(page.Locator(Canvas)).ToBeVisibleAsync();
        await Expect(page.Locator(Canvas)).ToHaveAttributeAsync("width", "1024");
        await page.WaitForFunctionAsync(
            "() => { const c = document.querySelector('.lab-display canvas'); const p = c.getContext('2d').getImageData(960, 700, 1, 1).data; return p[0] === 128 && p[1] === 128 && p[2] === 128; }",
            null, new() { Timeout = 60_000 });
        for (int i = 0; i < Bars.Length; i++)
        {
            var (r, g, b) = Bars[i];
            Assert.Equal(new[] { r, g, b, 0xFF }, await PixelAsync(page, 128 * i + 64, 600));
            Assert.Equal(new[] { r, g, b, 0xFF }, await PixelAsync(page, 128 * i, 767));
        }

        // Keys typed on the canvas go to the shell on the KMS console, drawn above the bars.
        await page.Locator(Canvas).ClickAsync(new() { Position = new() { X = 10, Y = 10 } });
        await page.Keyboard.TypeAsync("uname -sr");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForTimeoutAsync(1500);
        await page.Keyboard.TypeAsync("ls /dev/dri /sys/class/graphics");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForTimeoutAsync(2000);
        await page.ScreenshotAsync("student", "lab-gpu-display");
        await DocumentationScreenshot.SaveAsync(page, "lab-desktop");
        await page.Context.CloseAsync();
    }

    private static async Task<int[]> PixelAsync(IPage page, int x, int y)
    {
        var json = await page.EvaluateAsync<JsonElement>(
            $"() => Array.from(document.querySelector('{Canvas}').getContext('2d').getImageData({x}, {y}, 1, 1).data)");
        return json.EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }
}
