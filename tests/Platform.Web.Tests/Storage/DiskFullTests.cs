using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Storage;

/// <summary>
/// A portal whose file store sits on a real 256 KiB tmpfs, so a submission can really fill the disk.
/// Mounting needs root (the test command and CI run as root).
/// </summary>
public sealed class FullDiskPortal : PortalFactory
{
    public const int CapacityKiB = 256;

    public FullDiskPortal()
    {
        FilesFolder = Path.Combine(DataDirectory, "files");
        Directory.CreateDirectory(FilesFolder);
        Run("mount", "-t", "tmpfs", "-o", $"size={CapacityKiB}k", "tmpfs", FilesFolder);
    }

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

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
