using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Platform.Web.Features.Submissions;
using Microsoft.EntityFrameworkCore;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Storage;

/// <summary>
/// A portal one of whose data folders sits on a real 256 KiB tmpfs, so a submission can really fill
/// the disk. Mounting needs root (the test command and CI run as root).
/// </summary>
public abstract class SmallDiskPortal : PortalFactory
{
    public const int CapacityKiB = 256;

    protected SmallDiskPortal(string folder)
    {
        FilesFolder = Path.Combine(DataDirectory, folder);
        Directory.CreateDirectory(FilesFolder);
        Run("mount", "-t", "tmpfs", "-o", $"size={CapacityKiB}k", "tmpfs", FilesFolder);
    }

    /// <summary>The folder on the small disk.</summary>
    public string FilesFolder { get; }

    private bool _mounted = true;

    protected override void Dispose(bool disposing)
    {
        // The portal stops first (it holds files there); the fixture may be disposed more than once
        // (DisposeAsync, then Dispose), so the disk is unmounted once. Lazily: a file handle the
        // stopping host still holds must not fail the cleanup.
        base.Dispose(disposing);
        if (disposing && _mounted)
        {
            _mounted = false;
            Run("umount", "-l", FilesFolder);
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        }
    }

    private static void Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed (this test mounts a small tmpfs and needs root): {process.StandardError.ReadToEnd()}");
    }
}

/// <summary>The file store (where submissions are kept) on the small disk.</summary>
public sealed class FullDiskPortal() : SmallDiskPortal("files");

/// <summary>The staging area (where the lab's chunked uploads collect) on the small disk.</summary>
public sealed class FullStagingPortal() : SmallDiskPortal("staging");

public sealed class DiskFullTests(FullDiskPortal portal) : IClassFixture<FullDiskPortal>
{
    [Fact]
    public async Task SubmitForm_WhenTheDiskFills_SaysSoAndKeepsNothingHalfWritten()
    {
        var demo = await portal.DemoAsync();
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, points: 10);
        using var student = await portal.SignInAsync("ada@demo.test");
        var fits = RandomBytes(100 * 1024);
        var tooBig = RandomBytes(200 * 1024);

        var first = await student.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "disk-1", ("notes.txt", fits));
        var second = await student.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "disk-2", ("big.txt", tooBig));

        Assert.Equal("1", PortalClient.QueryOf(first, "submitted"));
        Assert.Contains("storage is full", PortalClient.QueryOf(second, "error"));
        var versions = await portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters()
            .Where(s => s.AssignmentId == assignment.Id).Select(s => s.ClientSubmissionId).ToListAsync());
        Assert.Equal(["disk-1"], versions);
        // The partial write was removed: only the first submission's file remains on the disk.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(portal.FilesFolder, "tmp")));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(portal.FilesFolder, "sha256"), "*", SearchOption.AllDirectories));
    }

    internal static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}

public sealed class StagingDiskFullTests(FullStagingPortal portal) : IClassFixture<FullStagingPortal>
{
    [Fact]
    public async Task UploadChunk_WhenTheDiskFills_SaysSoKeepsWholeChunksOnlyAndStoresNothing()
    {
        var demo = await portal.DemoAsync();
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, points: 10);
        using var student = await portal.SignInAsync("ada@demo.test");
        const int chunk = 64 * 1024;
        var content = DiskFullTests.RandomBytes(SmallDiskPortal.CapacityKiB * 1024 + 4 * chunk);
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, student.SessionCookie);
        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "staging-full-1",
            new List<UploadFileManifest> { new("disk.tar", content.Length, Convert.ToHexStringLower(SHA256.HashData(content))) });

        long held = 0;
        HubException? refused = null;
        while (held < content.Length && refused is null)
        {
            try
            {
                held = await hub.InvokeAsync<long>("UploadChunk", state.UploadId, 0, held, content.AsSpan((int)held, Math.Min(chunk, content.Length - (int)held)).ToArray());
            }
            catch (HubException e)
            {
                refused = e;
            }
        }

        Assert.NotNull(refused);
        Assert.Contains("storage is full", refused.Message);
        // The chunk that did not fit was taken back whole: the staged file ends at a chunk boundary, where a resume starts.
        var staged = new FileInfo(Path.Combine(portal.FilesFolder, state.UploadId.ToString("N"), "0")).Length;
        Assert.Equal(held, staged);
        Assert.Equal(0, staged % chunk);
        var incomplete = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId));
        Assert.Contains("incomplete", incomplete.Message);
        Assert.Equal(0, await portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters().CountAsync(s => s.AssignmentId == assignment.Id)));
    }
}
