using System.Text;
using CoursePackages.Packaging;
using Platform.Data.Entities;
using Platform.Web.Features.Autograding;
using Platform.Web.Features.LabImages;

namespace Platform.Web.Tests.Features.Autograding;

/// <summary>
/// The real lab machine of the demo course (Debian's 686 kernel and the BusyBox initramfs that
/// scripts/guest/build-guest-images.sh builds) and the demo assignment 01-files-and-folders' own
/// checks, read from the bundled course package. Boots once per test process, then every run
/// resumes from the post-boot snapshot.
/// </summary>
public static class DemoLab
{
    private static readonly Lazy<byte[]> PostBoot = new(() =>
    {
        var started = LabBoot.Start(Spec, Kernel, Initrd, null, takeSnapshot: true, TimeSpan.FromMinutes(10), 64 * 1024, CancellationToken.None);
        started.Console.Machine.Dispose();
        return started.NewSnapshot!;
    });

    public static string GuestDirectory => new LabImageOptions().ResolveGuestDirectory();
    private static readonly Lazy<byte[]> KernelBytes = new(() => System.IO.File.ReadAllBytes(Path.Combine(GuestDirectory, "bzImage")));
    private static readonly Lazy<byte[]> InitrdBytes = new(() => System.IO.File.ReadAllBytes(Path.Combine(GuestDirectory, "initrd.gz")));

    public static byte[] Kernel => KernelBytes.Value;
    public static byte[] Initrd => InitrdBytes.Value;

    /// <summary>The busybox-shell image as the course package describes it.</summary>
    public static LabMachineSpec Spec => new(Path.Combine(GuestDirectory, "bzImage"), Path.Combine(GuestDirectory, "initrd.gz"),
        "console=ttyS0 quiet cryptomgr.notests noisapnp", 128, null);

    public static byte[] Snapshot => PostBoot.Value;

    public static IReadOnlyList<AutograderCheck> FilesAndFoldersChecks()
    {
        var package = CoursePackageReader.ReadFolder(BundledCourses.FolderOf(BundledCourses.IntroToLinux));
        return package.Assignments.Single(a => a.Slug == "01-files-and-folders").Checks
            .Select(c => new AutograderCheck { Name = c.Name, Command = c.Command, Points = c.Points, TimeoutSeconds = c.TimeoutSeconds, VisibleToStudents = c.Visible })
            .ToList();
    }

    public static SubmissionBundle.File File(string path, string text) => new(path, Encoding.UTF8.GetBytes(text));

    public static IReadOnlyList<SubmissionBundle.File> CorrectFilesAndFolders() =>
    [
        File("project/notes/todo.txt", "buy milk\nwrite report\ncall Ada\n"),
        File("project/backup/todo.txt", "buy milk\nwrite report\ncall Ada\n"),
    ];

    /// <summary>The folder exists, but the list has two items and the backup differs: 3 of 10 points.</summary>
    public static IReadOnlyList<SubmissionBundle.File> IncorrectFilesAndFolders() =>
    [
        File("project/notes/todo.txt", "buy milk\nwrite report\n"),
        File("project/backup/todo.txt", "buy milk\n"),
    ];

    public static CheckRunRequest Request(IReadOnlyList<SubmissionBundle.File> files, IReadOnlyList<AutograderCheck> checks, TimeSpan? runLimit = null) =>
        new(Spec, Kernel, Initrd, files, checks, Snapshot, false, runLimit ?? TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));
}
