using Microsoft.Playwright;

namespace Platform.Web.EndToEnd.Infrastructure;

/// <summary>
/// One portal and one headless Chromium per test class: each test opens its own browser context
/// (its own cookies), so signing in as one role never leaks into another test.
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DemoPassword = "e2e-demo-passphrase";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly string _name = "webvm-e2e-" + Guid.NewGuid().ToString("N")[..12];
    private PortalProcess? _portal;
    private IPlaywright? _playwright;

    /// <summary>The portal's data folder (its SQLite file, its image store under images/).</summary>
    public string DataDirectory => Path.Combine(Path.GetTempPath(), _name);

    /// <summary>The portal's console output for this test class, under artifacts/logs.</summary>
    public string LogFile => Path.Combine(Artifacts.Folder("logs"), _name + ".log");

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The portal's root address, ending in a slash, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress => _portal!.BaseAddress;

    static PortalFixture() =>
        // Server-rendered pages on a shared two-core machine: a form post can take seconds.
        Assertions.SetDefaultExpectTimeout(15_000);

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"The end-to-end tests drive Debian's Chromium at {ChromiumPath}, which is missing: install the 'chromium' package (apt-get install -y chromium).");

        Directory.CreateDirectory(DataDirectory);
        _portal = await PortalProcess.StartAsync(DataDirectory, DemoPassword, LogFile);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>A fresh, signed-out browser tab at a desktop size, with the portal as its base address.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            AcceptDownloads = true,
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_portal is not null)
            await _portal.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp cleaning.
        }
    }
}
