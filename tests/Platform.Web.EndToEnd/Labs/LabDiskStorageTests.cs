using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>
/// The lab disk's browser storage (Platform.Web/wwwroot/js/lab-disk.js: IndexedDB) in headless
/// Chromium, on its own: a student's changed blocks survive a reload and stay with their lab, and a
/// full store fails loudly with the browser's own QuotaExceededError while keeping what was saved.
/// </summary>
public sealed class LabDiskStorageTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    private const string Import = "const d = await import(new URL('js/lab-disk.js', document.baseURI).href);";

    [Fact]
    public async Task Overlay_BlocksWritten_SurviveAReloadAndStayWithTheirLab()
    {
        var page = await portal.NewPageAsync();
        await page.SignInAsync("ada@demo.test");
        await page.EvaluateAsync($$"""
            async () => { {{Import}}
              const block = n => new Uint8Array(4096).fill(n);
              await d.overlayPut("lab-a", 7, block(7));
              await d.overlayPut("lab-a", 1000000, block(9));
              await d.overlayPut("lab-b", 7, block(1));
              await d.chunkPut("abc123", new Uint8Array([1, 2, 3])); }
            """);

        await page.ReloadAsync();
        var seen = await page.EvaluateAsync<int[]>($$"""
            async () => { {{Import}}
              const a = await d.overlayGet("lab-a", 7), b = await d.overlayGet("lab-b", 7), far = await d.overlayGet("lab-a", 1000000);
              const blocks = (await d.overlayBlocks("lab-a")).sort((x, y) => x - y);
              const chunk = await d.chunkGet("abc123"), missing = await d.overlayGet("lab-a", 8);
              return [a[0], a[4095], b[0], far[100], blocks.length, blocks[0], blocks[1], chunk.length, missing === null ? 1 : 0]; }
            """);
        Assert.Equal([7, 7, 1, 9, 2, 7, 1000000, 3, 1], seen);

        // "Reset disk" forgets one lab's changes and no other's.
        var afterClear = await page.EvaluateAsync<int[]>($$"""
            async () => { {{Import}}
              await d.overlayClear("lab-a");
              return [(await d.overlayBlocks("lab-a")).length, (await d.overlayBlocks("lab-b")).length]; }
            """);
        Assert.Equal([0, 1], afterClear);
    }

    [Fact]
    public async Task Overlay_StoreFull_FailsWithQuotaExceededAndKeepsWhatWasSaved()
    {
        var page = await portal.NewPageAsync();
        await page.SignInAsync("ada@demo.test");
        // A real quota, made small: Chromium enforces it as it would a full disk.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var origin = portal.BaseAddress.GetLeftPart(UriPartial.Authority);
        await cdp.SendAsync("Storage.overrideQuotaForOrigin", new Dictionary<string, object> { ["origin"] = origin, ["quotaSize"] = 2 * 1024 * 1024 });

        var outcome = await page.EvaluateAsync<string[]>($$"""
            async () => { {{Import}}
              let error = "none", saved = 0;
              const quota = (await d.estimate()).quota;
              // Random bytes: the store compresses what it keeps, so a block of one repeated byte costs nothing.
              const block = i => { const b = new Uint8Array(64 * 1024); crypto.getRandomValues(b); b[0] = i; return b; };
              try {
                for (let i = 0; i < 200; i++) { await d.overlayPut("lab-full", i, block(i)); saved++; }
              } catch (e) { error = e.name + " (quota " + quota + ")"; }
              const first = await d.overlayGet("lab-full", 0);
              return [error, String(saved), String(first?.[0] ?? -1), String((await d.overlayBlocks("lab-full")).length)]; }
            """);
        Assert.StartsWith("QuotaExceededError", outcome[0], StringComparison.Ordinal);
        Assert.InRange(int.Parse(outcome[1]), 1, 199);
        Assert.Equal("0", outcome[2]);
        Assert.Equal(outcome[1], outcome[3]);
    }
}
