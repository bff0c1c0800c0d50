using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CoursePackages.Packaging;

namespace Courses.Tests.Packaging;

public sealed class CoursePackageTests
{
    private static string Bundled => BundledCourses.FolderOf(BundledCourses.IntroToLinux);

    /// <summary>The bundled package's files, as a dictionary to edit and zip.</summary>
    private static Dictionary<string, string> BundledFiles() =>
        Directory.EnumerateFiles(Bundled, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(Bundled, f).Replace('\\', '/'), File.ReadAllText);

    private static MemoryStream Zip(IReadOnlyDictionary<string, string> files)
    {
        var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, text) in files)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(Encoding.UTF8.GetBytes(text));
            }
        stream.Position = 0;
        return stream;
    }

    private static string Json(CoursePackage package) => JsonSerializer.Serialize(package);

    [Fact]
    public void ReadFolder_BundledIntroToLinux_HasItsCourseImagesAndAssignments()
    {
        var package = CoursePackageReader.ReadFolder(Bundled);

        Assert.Equal("LINUX101", package.Course.Code);
        Assert.Equal(["Monday section", "Thursday section"], package.Course.Cohorts);
        Assert.Equal(["busybox-shell", "debian-dev"], package.Images.Select(i => i.Name));
        Assert.Equal(128, package.Images[0].MemoryMiB);
        Assert.Equal(["01-files-and-folders", "02-pipes-and-filters", "03-shell-scripts", "04-first-c-program"], package.Assignments.Select(a => a.Slug));
        var first = package.Assignments[0];
        Assert.Equal(10, first.Points);
        Assert.Equal(7, first.DueInDays);
        Assert.False(first.Checks.Single(c => c.Name == "backup is an exact copy").Visible);
        Assert.StartsWith("# Files and folders", first.Instructions);
    }

    [Fact]
    public void WriteZipThenReadZip_BundledPackage_IsEqual()
    {
        var original = CoursePackageReader.ReadFolder(Bundled);
        using var zip = new MemoryStream();

        CoursePackageWriter.WriteZip(original, zip);
        zip.Position = 0;
        var copy = CoursePackageReader.ReadZip(zip);

        Assert.Equal(Json(original), Json(copy));
    }

    [Fact]
    public void ReadZip_OfTheFolderItself_ReadsLikeItsContents()
    {
        var nested = BundledFiles().ToDictionary(kv => "intro-to-linux/" + kv.Key, kv => kv.Value);

        using var zip = Zip(nested);
        var package = CoursePackageReader.ReadZip(zip);

        Assert.Equal(Json(CoursePackageReader.ReadFolder(Bundled)), Json(package));
    }

    [Theory]
    [InlineData("../evil.yaml")]
    [InlineData("assignments/../../evil.md")]
    [InlineData("/etc/passwd")]
    [InlineData("C:/evil.txt")]
    public void ReadZip_WithEscapingEntry_IsRejected(string entry)
    {
        var files = BundledFiles();
        files[entry] = "pwned";

        using var zip = Zip(files);
        var error = Assert.Throws<CoursePackageException>(() => CoursePackageReader.ReadZip(zip));

        Assert.Contains("unsafe path", error.Message);
        Assert.Contains(entry, error.Message);
    }

    [Fact]
    public void ReadZip_NotAZip_SaysSo()
    {
        using var stream = new MemoryStream("course.yaml"u8.ToArray());

        var error = Assert.Throws<CoursePackageException>(() => CoursePackageReader.ReadZip(stream));

        Assert.Equal("The upload is not a zip file.", error.Message);
    }

    [Fact]
    public void Read_WithoutCourseYaml_SaysItIsMissing()
    {
        var files = BundledFiles();
        files.Remove("course.yaml");

        using var zip = Zip(files);
        var error = Assert.Throws<CoursePackageException>(() => CoursePackageReader.ReadZip(zip));

        Assert.Equal("The package has no course.yaml at its top.", error.Message);
    }

    [Fact]
    public void Read_YamlTypo_NamesTheFileAndLine()
    {
        const string path = "assignments/02-pipes-and-filters/assignment.yaml";
        var files = BundledFiles();
        files[path] = files[path].Replace("due_in_days:", "due_in_dayz:", StringComparison.Ordinal);

        using var zip = Zip(files);
        var error = Assert.Throws<CoursePackageException>(() => CoursePackageReader.ReadZip(zip));

        Assert.StartsWith($"{path}, line 3:", error.Message);
        Assert.Contains("due_in_dayz", error.Message);
    }

    [Fact]
    public void Read_AssignmentWithUnknownLabImage_NamesTheFileAndTheImages()
    {
        const string path = "assignments/03-shell-scripts/assignment.yaml";
        var files = BundledFiles();
        files[path] = files[path].Replace("lab_image: busybox-shell", "lab_image: windows-95", StringComparison.Ordinal);

        using var zip = Zip(files);
        var error = Assert.Throws<CoursePackageException>(() => CoursePackageReader.ReadZip(zip));

        Assert.Equal($"{path}: lab_image 'windows-95' is not one of the package's images (busybox-shell, debian-dev).", error.Message);
    }

    [Fact]
    public void Read_CourseWithoutCode_SaysItIsRequired()
    {
        var files = BundledFiles();
        files["course.yaml"] = files["course.yaml"].Replace("code: LINUX101\n", "", StringComparison.Ordinal);

        using var zip = Zip(files);
        var error = Assert.Throws<CoursePackageException>(() => CoursePackageReader.ReadZip(zip));

        Assert.Equal("course.yaml: 'code' is required.", error.Message);
    }

    [Fact]
    public void Read_TwoAssignmentsWithOneSlug_IsRejected()
    {
        var files = BundledFiles();
        files["assignments/99-copy/assignment.yaml"] = "slug: 01-files-and-folders\ntitle: Copy\n";

        using var zip = Zip(files);
        var error = Assert.Throws<CoursePackageException>(() => CoursePackageReader.ReadZip(zip));

        Assert.Equal("Two assignments use the slug '01-files-and-folders'.", error.Message);
    }

    [Fact]
    public void ReadZip_LargerThanTheLimit_IsRejected()
    {
        var files = BundledFiles();
        files["assets/big.md"] = new string('x', (int)CoursePackageReader.MaxUnpackedBytes + 1);

        using var zip = Zip(files);
        var error = Assert.Throws<CoursePackageException>(() => CoursePackageReader.ReadZip(zip));

        Assert.Equal("The package unpacks to more than 16 MiB.", error.Message);
    }

    [Fact]
    public void ReadZip_WithDamagedEntry_NamesTheEntry()
    {
        var files = BundledFiles();
        var zip = Zip(files).ToArray();
        // Damage the compressed bytes of the first entry (its data starts after the 30-byte local
        // header and the name).
        var nameLength = BitConverter.ToUInt16(zip, 26) + BitConverter.ToUInt16(zip, 28);
        for (var i = 30 + nameLength; i < 30 + nameLength + 16; i++)
            zip[i] ^= 0x5a;
        var first = Encoding.UTF8.GetString(zip, 30, BitConverter.ToUInt16(zip, 26));

        var error = Assert.Throws<CoursePackageException>(() => CoursePackageReader.ReadZip(new MemoryStream(zip)));

        Assert.Contains(first, error.Message);
    }
}
