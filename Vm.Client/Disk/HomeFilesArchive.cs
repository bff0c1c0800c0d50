using Vm.Client.Disk.Ext2;
using Vm.Engine.Disk;

namespace Vm.Client.Disk;

/// <summary>
/// "Download my files": the student's home disk starts blank, so every file on it is one the
/// student made or changed. They are read from the disk on the host (<see cref="Ext2Reader"/>) and
/// packed as a tar archive; the guest is not asked, so this works paused, mid-command, or with a
/// guest that no longer answers. The guest mounts the disk with sync, so what a finished command
/// wrote is on the disk.
/// </summary>
public static class HomeFilesArchive
{
    /// <summary>mke2fs's folder for fsck; never the student's.</summary>
    private const string LostAndFound = "lost+found";

    /// <summary>
    /// The tar archive of the files in <paramref name="folder"/> of the disk (the whole disk for the home
    /// disk, "root" for a root disk's /root), or null when there is nothing to download.
    /// </summary>
    public static async Task<(byte[] Archive, int Files)?> BuildAsync(IBlockSource disk, string folder = "", CancellationToken cancel = default)
    {
        var fs = await Ext2Reader.OpenAsync(disk, cancel);
        if (fs is null || await fs.ListAsync(folder, cancel) is not { } listed) return null;
        var entries = listed
            .Where(e => e.Path != LostAndFound && !e.Path.StartsWith(LostAndFound + "/", StringComparison.Ordinal))
            .ToList();
        int files = entries.Count(e => e.Kind != Ext2EntryKind.Directory);
        if (files == 0) return null;

        using var output = new MemoryStream();
        var tar = new TarArchiveWriter(output);
        foreach (var e in entries)
        {
            switch (e.Kind)
            {
                case Ext2EntryKind.Directory:
                    tar.Write(e.Path + "/", TarArchiveWriter.EntryType.Directory, e.Mode, e.Modified);
                    break;
                case Ext2EntryKind.Symlink:
                    var target = System.Text.Encoding.UTF8.GetString(await fs.ReadAsync(e, cancel));
                    tar.Write(e.Path, TarArchiveWriter.EntryType.Symlink, e.Mode, e.Modified, linkName: target);
                    break;
                default:
                    tar.Write(e.Path, TarArchiveWriter.EntryType.File, e.Mode, e.Modified, await fs.ReadAsync(e, cancel));
                    break;
            }
        }
        tar.Finish();
        return (output.ToArray(), files);
    }
}
