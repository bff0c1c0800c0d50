using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Platform.Web.Features.Autograding;

/// <summary>
/// What goes into the lab machine for a run, as one gzipped tar: the submission's files under
/// <c>files/</c> (copied into the student's home) and each check's command as <c>checks/N.sh</c>.
/// Commands travel as files, not typed text, so no quoting in them can reach the console's shell.
/// </summary>
public static class SubmissionBundle
{
    public sealed record File(string Path, byte[] Content);

    public static byte[] Build(IEnumerable<File> files, IReadOnlyList<string> checkCommands)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var f in files)
                Add(tar, "files/" + f.Path, f.Content);
            for (var i = 0; i < checkCommands.Count; i++)
                Add(tar, $"checks/{i + 1}.sh", Encoding.UTF8.GetBytes(checkCommands[i].ReplaceLineEndings("\n") + "\n"));
        }
        return output.ToArray();
    }

    private static void Add(TarWriter tar, string name, byte[] content)
    {
        // Ustar keeps names up to 255 characters split at a slash; submissions' names are shorter (260 is the stored limit).
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(content),
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = DateTimeOffset.UnixEpoch,
        };
        tar.WriteEntry(entry);
    }

    /// <summary>Base64 in lines short enough for the guest terminal's line buffer.</summary>
    public static IEnumerable<string> Base64Lines(byte[] data, int lineChars = 76)
    {
        var text = Convert.ToBase64String(data);
        for (var i = 0; i < text.Length; i += lineChars)
            yield return text.Substring(i, Math.Min(lineChars, text.Length - i));
    }
}
