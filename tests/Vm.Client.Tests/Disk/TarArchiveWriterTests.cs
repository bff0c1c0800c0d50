using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using Vm.Client.Disk;

namespace Vm.Client.Tests.Disk;

/// <summary>The browser's tar writer, read back by .NET's TarReader and by GNU tar.</summary>
public class TarArchiveWriterTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    // 120 bytes: needs ustar's prefix field; the second cannot be split at a '/' and needs pax.
    private static readonly string SplitName = string.Join('/', Enumerable.Repeat("folder-name-of-twenty", 4)) + "/notes.txt";
    private static readonly string UnsplittableName = "work/" + new string('x', 130) + ".txt";
    private const string Accented = "résumé-ünïcode.txt";

    private static byte[] Archive()
    {
        using var output = new MemoryStream();
        var tar = new TarArchiveWriter(output);
        tar.Write("work/", TarArchiveWriter.EntryType.Directory, 0b111_101_101, Noon);
        tar.Write(SplitName, TarArchiveWriter.EntryType.File, 0b110_100_100, Noon, "split\n"u8);
        tar.Write(UnsplittableName, TarArchiveWriter.EntryType.File, 0b111_101_101, Noon, new byte[1000]);
        tar.Write(Accented, TarArchiveWriter.EntryType.File, 0b110_000_000, Noon, "é\n"u8);
        tar.Write("latest", TarArchiveWriter.EntryType.Symlink, 0b111_111_111, Noon, linkName: UnsplittableName);
        tar.Write("empty.txt", TarArchiveWriter.EntryType.File, 0b110_100_100, Noon);
        tar.Finish();
        return output.ToArray();
    }

    [Fact]
    public void DotNetsReader_ReadsNamesModesTimesAndBytes()
    {
        var entries = new Dictionary<string, TarEntry>();
        var data = new Dictionary<string, byte[]>();
        using var reader = new TarReader(new MemoryStream(Archive()));
        while (reader.GetNextEntry(copyData: true) is { } e)
        {
            entries[e.Name] = e;
            if (e.DataStream is { } s) { using var m = new MemoryStream(); s.CopyTo(m); data[e.Name] = m.ToArray(); }
        }
        Assert.Equal(TarEntryType.Directory, entries["work/"].EntryType);
        Assert.Equal("split\n", Encoding.UTF8.GetString(data[SplitName]));
        Assert.Equal(1000, data[UnsplittableName].Length);
        Assert.Equal("é\n", Encoding.UTF8.GetString(data[Accented]));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, entries[Accented].Mode);
        Assert.Equal(TarEntryType.SymbolicLink, entries["latest"].EntryType);
        Assert.Equal(UnsplittableName, entries["latest"].LinkName);
        Assert.Equal(Noon, entries[SplitName].ModificationTime);
        Assert.Equal(0, entries["empty.txt"].Length);
    }

    [Fact]
    public void GnuTar_ListsAndChecksTheArchive()
    {
        var file = Path.Combine(Path.GetTempPath(), $"webvm-tar-{Guid.NewGuid():N}.tar");
        File.WriteAllBytes(file, Archive());
        try
        {
            var start = new ProcessStartInfo("tar", ["-tvf", file]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var tar = Process.Start(start)!;
            var listing = tar.StandardOutput.ReadToEnd();
            var errors = tar.StandardError.ReadToEnd();
            tar.WaitForExit();
            Assert.True(tar.ExitCode == 0, errors); // a bad checksum or a truncated block fails here
            Assert.Contains(SplitName, listing);
            Assert.Contains(UnsplittableName, listing);
            Assert.Contains(Accented, listing);
            Assert.Contains($"latest -> {UnsplittableName}", listing);
            Assert.Contains("-rw------- 0/0", listing);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
