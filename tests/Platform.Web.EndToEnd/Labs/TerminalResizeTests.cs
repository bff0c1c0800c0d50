using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>
/// The terminal's size reaches the guest (docs/client.md: the org.webvm.tty-size port, applied by
/// the initramfs's init with stty): a student who drags the terminal box taller sees `stty size` in
/// the machine follow, and a box dragged below its minimum keeps the rows it shows. Part of <see cref="LabTests"/> so it shares that class's booted machine.
/// </summary>
public sealed partial class LabTests
{
    private static readonly ViewportSize DefaultViewport = new() { Width = 1280, Height = 800 };

    [Fact]
    public async Task TerminalBoxDraggedTaller_SttySizeInTheGuestFollows()
    {
        var page = lab.Page;
        var before = await TerminalSizeAsync(page);
        try
        {
            await DragTerminalCornerAsync(page, 160);
            var taller = await WaitForSizeChangeAsync(page, before);
            Assert.True(taller.Rows > before.Rows, $"a taller box gave {taller.Rows} rows, was {before.Rows}");
            Assert.Equal(before.Cols, taller.Cols);

            await ExpectGuestSizeAsync(page, taller);
            await page.ScreenshotAsync("student", "lab-terminal-resized");
        }
        finally
        {
            await RestoreTerminalAsync(page);
        }
    }

    [Fact]
    public async Task TerminalBoxDraggedBelowItsMinimum_KeepsTheRowsItShows_AndTheGuestAgrees()
    {
        var page = lab.Page;
        var before = await TerminalSizeAsync(page);
        try
        {
            // Far past the top of the box: the box stops at its minimum height (12rem), not at zero rows.
            await DragTerminalCornerAsync(page, -2000);
            var smallest = await WaitForSizeChangeAsync(page, before);
            Assert.True(smallest.Rows < before.Rows, $"dragging up gave {smallest.Rows} rows, was {before.Rows}");
            Assert.InRange(smallest.Rows, 8, before.Rows - 1);
            Assert.Equal(before.Cols, smallest.Cols);

            await ExpectGuestSizeAsync(page, smallest);
            // The shell still answers in the small terminal.
            await page.RunAsync("echo small-$((3*4))-ok");
            await page.ExpectOutputAsync("small-12-ok");
        }
        finally
        {
            await RestoreTerminalAsync(page);
        }
    }

    [Fact]
    public async Task WindowNarrowedToPhoneWidth_TerminalColumnsFollow_AndTheGuestAgrees()
    {
        var page = lab.Page;
        var before = await TerminalSizeAsync(page);
        try
        {
            // Below 900 px the portal drops its sidebar and stacks its columns: the terminal must still shrink with the window.
            await page.SetViewportSizeAsync(600, DefaultViewport.Height);
            var narrow = await WaitForSizeChangeAsync(page, before);
            Assert.True(narrow.Cols < before.Cols, $"a 600 px window gave {narrow.Cols} columns, was {before.Cols}");
            var overflow = await page.EvaluateAsync<double>("() => document.querySelector('.lab-terminal .xterm-screen').getBoundingClientRect().right - window.innerWidth");
            Assert.True(overflow <= 0, $"the terminal's text runs {overflow} px past the window's right edge");

            await ExpectGuestSizeAsync(page, narrow);
            await page.ScreenshotAsync("student", "lab-terminal-phone-width");
        }
        finally
        {
            await RestoreTerminalAsync(page);
        }
    }

    /// <summary>
    /// The grid the student sees: the rows xterm.js draws (which must be the rows the lab sends to the
    /// guest) and the columns the lab sends for it.
    /// </summary>
    private static async Task<(int Rows, int Cols)> TerminalSizeAsync(IPage page)
    {
        var shown = await page.EvaluateAsync<int[]>("""
            () => {
                const host = document.querySelector('.lab-terminal');
                return [host.querySelectorAll('.xterm-rows > div').length, Number(host.dataset.rows), Number(host.dataset.cols)];
            }
            """);
        Assert.Equal(shown[0], shown[1]);
        Assert.True(shown[2] > 0, "the lab reported no columns");
        return (shown[1], shown[2]);
    }

    private static async Task<(int Rows, int Cols)> WaitForSizeChangeAsync(IPage page, (int Rows, int Cols) before)
    {
        await page.WaitForFunctionAsync(
            $"() => {{ const h = document.querySelector('.lab-terminal'); return Number(h.dataset.rows) !== {before.Rows} || Number(h.dataset.cols) !== {before.Cols}; }}",
            null, new() { Timeout = 15_000 });
        await page.WaitForTimeoutAsync(300); // the ResizeObserver's fit settles on one size
        return await TerminalSizeAsync(page);
    }

    /// <summary>Drags the terminal box's resize handle (its bottom-right corner) by <paramref name="dy"/> pixels, as a person does.</summary>
    private static async Task DragTerminalCornerAsync(IPage page, int dy)
    {
        var box = (await page.Locator(".lab-terminal").BoundingBoxAsync())!;
        var (x, y) = (box.X + box.Width - 4, box.Y + box.Height - 4);
        await page.Mouse.MoveAsync(x, y);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(x, y + dy, new() { Steps = 8 });
        await page.Mouse.UpAsync();
    }

    /// <summary>`stty size` on the guest's console prints the terminal's rows and columns (waiting for the size port's loop).</summary>
    private static async Task ExpectGuestSizeAsync(IPage page, (int Rows, int Cols) size)
    {
        await page.RunAsync($"for i in $(seq 1 50); do [ \"$(stty size)\" = '{size.Rows} {size.Cols}' ] && break; sleep 0.2; done; echo guest-size=$(stty size | tr ' ' x)");
        await page.ExpectOutputAsync($"guest-size={size.Rows}x{size.Cols}");
    }

    /// <summary>The other tests of the class share the page: give it back its window and box.</summary>
    private static async Task RestoreTerminalAsync(IPage page)
    {
        await page.SetViewportSizeAsync(DefaultViewport.Width, DefaultViewport.Height);
        await page.EvaluateAsync("() => { document.querySelector('.lab-terminal').style.height = ''; }");
        await page.WaitForTimeoutAsync(300);
    }
}
