using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Platform.Web.EndToEnd.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Platform.Web.EndToEnd.Labs;

/// <summary>
/// A portal whose lab image has a root disk (the demo's debian-dev: Debian with gcc), with its resume
/// snapshot taken as a teacher takes it, and a student's page at the Debian shell. One snapshot and
/// one open for the class.
/// </summary>
public sealed class DebianLabFixture : IAsyncLifetime
{
    public const string Student = "linus@demo.test";
    public const string Assignment = "Your first C program";
    public PortalFixture Portal { get; } = new();
    public IPage Page { get; private set; } = null!;
    public string AssignmentPath { get; private set; } = "";
    /// <summary>The disk's chunks the first open fetched, and how many the image has.</summary>
    public int FetchedChunks => _fetched.Count;
    public int ImageChunks { get; private set; }
    public long ImageMiB { get; private set; }
    public IReadOnlySet<string> DiskChunks { get; private set; } = new HashSet<string>();
    private readonly HashSet<string> _fetched = [];

    public async Task InitializeAsync()
    {
        var (_, _, manifest) = DebianRootImage.Built();
        DiskChunks = manifest.Chunks.OfType<string>().ToHashSet();
        ImageChunks = DiskChunks.Count;
        ImageMiB = manifest.Size >> 20;
        await Portal.InitializeAsync();
        await DebianRootImage.PublishAsync(Portal.DataDirectory);

        Page = await Portal.NewPageAsync();
        var log = new StreamWriter(Path.Combine(Artifacts.Folder("logs"), "lab-debian-browser-console.log"), append: false) { AutoFlush = true };
        Page.Console += (_, message) => { lock (log) log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message.Type}: {message.Text}"); };
        Page.Request += (_, request) =>
        {
            var hash = request.Url[(request.Url.LastIndexOf('/') + 1)..];
            if (request.Url.Contains("/chunks/") && DiskChunks.Contains(hash)) lock (_fetched) _fetched.Add(hash);
        };
        await Page.SignInAsync(Student);
        await Page.GetByRole(AriaRole.Link, new() { Name = Assignment }).First.ClickAsync();
        AssignmentPath = new Uri(Page.Url).AbsolutePath.TrimStart('/');

        await Portal.TakeResumeSnapshotAsync(Page, AssignmentPath);
        await Page.GotoAsync($"{AssignmentPath}/lab");
        await Page.WaitForLabPromptAsync();
    }

    public async Task DisposeAsync() => await Portal.DisposeAsync();
}

/// <summary>
/// A lab on a root disk in the browser: the machine resumes at the init's session wait, mounts the
/// lab image's disk streamed chunk by chunk from the portal, and keeps the student's writes in
/// IndexedDB; a disk the portal cannot serve is an I/O error the page explains.
/// </summary>
public sealed partial class DebianLabTests(DebianLabFixture lab) : IClassFixture<DebianLabFixture>
{
    [Fact]
    public async Task DebianLab_ResumesOnItsStreamedRootDisk_AndCompilesAndRunsAProgram()
    {
        var page = lab.Page;
        await Expect(page.Locator(".lab-resume-note")).ToHaveAttributeAsync("data-resumed", "true");
        await page.RunAsync("printf '%s\\n' '#include <stdio.h>' 'int main(void) { printf(\"c-says-%d\\n\", 6 * 7); return 0; }' > /root/hello.c && gcc -o /root/hello /root/hello.c && /root/hello");
        await Expect(page.Terminal()).ToContainTextAsync("c-says-42", new() { Timeout = 300_000 });
        await page.RunAsync(". /etc/os-release; echo codename-$VERSION_CODENAME");
        await page.ExpectOutputAsync("codename-bookworm");
        // Streamed, not downloaded: the shell and a compile read a small part of the image, and the page says how much.
        Assert.InRange(lab.FetchedChunks, 1, lab.ImageChunks / 2);
        await Expect(page.Locator(".lab-status-text")).ToContainTextAsync(new Regex($@"disk: [1-9]\d* of {lab.ImageMiB} MiB fetched"));

        // Download my files: /root's files, read from the disk as the browser has it, not the distribution's.
        await page.RunAsync("sync; echo synced-$((3*3))");
        await page.ExpectOutputAsync("synced-9");
        var downloading = page.WaitForDownloadAsync(new() { Timeout = 120_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Download my files" }).ClickAsync();
        await Expect(page.Locator(".lab-files")).ToContainTextAsync("Downloaded", new() { Timeout = 120_000 });
        var files = new Dictionary<string, byte[]>();
        using (var reader = new System.Formats.Tar.TarReader(File.OpenRead(await (await downloading).PathAsync())))
            while (reader.GetNextEntry() is { } e)
                if (e.DataStream is { } data) { using var copy = new MemoryStream(); await data.CopyToAsync(copy); files[e.Name] = copy.ToArray(); }
        Assert.Contains("c-says-%d", System.Text.Encoding.UTF8.GetString(files["hello.c"]));
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, files["hello"][..4]);
        Assert.DoesNotContain(files.Keys, k => k.StartsWith("usr/", StringComparison.Ordinal) || k.StartsWith("etc/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FileOnTheRootDisk_SurvivesAReload()
    {
        var page = lab.Page;
        var name = $"kept-{Guid.NewGuid().ToString("N")[..8]}.txt";
        await page.RunAsync($"echo \"root disk $((6*7))\" > /root/{name} && sync; echo wrote-$((1+2))-$?");
        await page.ExpectOutputAsync("wrote-3-0");

        await page.ReloadAsync();
        await page.WaitForLabPromptAsync();
        await Expect(page.Locator(".lab-resume-note")).ToHaveAttributeAsync("data-resumed", "true");
        await page.RunAsync($"cat /root/{name}");
        await page.ExpectOutputAsync("root disk 42");
    }

    [Fact]
    public async Task DiskChunksTheServerCannotServe_AreAnIoError_ThePageExplains()
    {
        // A fresh browser context (nothing cached) where every chunk of the disk is missing; the saved
        // machine's chunks still arrive, so the machine resumes and then cannot read its root disk.
        var page = await lab.Portal.NewPageAsync();
        await page.SignInAsync(DebianLabFixture.Student);
        await page.RouteAsync(new Regex("/chunks/[0-9a-f]{64}$"), async route =>
        {
            if (lab.DiskChunks.Contains(route.Request.Url[(route.Request.Url.LastIndexOf('/') + 1)..]))
                await route.FulfillAsync(new() { Status = 404 });
            else
                await route.ContinueAsync();
        });
        await page.GotoAsync($"{lab.AssignmentPath}/lab");
        var error = page.Locator(".lab-disk-error");
        await Expect(error).ToContainTextAsync("Reading the lab's disk failed", new() { Timeout = 180_000 });
        await Expect(error).ToContainTextAsync("is missing from the image server");
        await page.Context.CloseAsync();
    }
}
