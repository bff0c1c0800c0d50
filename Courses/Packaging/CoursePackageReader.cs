using System.IO.Compression;
using YamlDotNet.Core;

namespace CoursePackages.Packaging;

/// <summary>
/// Reads a course package from a folder or a zip. Layout:
/// <c>course.yaml</c>, <c>images/*.yaml</c>, <c>assignments/SLUG/{assignment.yaml, instructions.md}</c>.
/// </summary>
public static class CoursePackageReader
{
    /// <summary>Larger than any real course; guards against zip bombs.</summary>
    public const long MaxUnpackedBytes = 16 * 1024 * 1024;

    /// <summary>Far more files than a course has; guards against bombs made of countless tiny entries.</summary>
    public const int MaxEntries = 2000;

    public static CoursePackage ReadFolder(string folder)
    {
        if (!Directory.Exists(folder))
            throw new CoursePackageException($"The course package folder '{folder}' does not exist.");
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllText);
        return Parse(files);
    }

    public static CoursePackage ReadZip(Stream zip)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException or IOException)
        {
            // Too short for a zip's end record, the runtime reports a seek out of range rather than bad data.
            throw new CoursePackageException("The upload is not a zip file.", e);
        }

        using (archive)
        {
            var files = new Dictionary<string, string>(StringComparer.Ordinal);
            if (archive.Entries.Count > MaxEntries)
                throw new CoursePackageException($"The package holds more than {MaxEntries} files.");
            long total = 0;
            foreach (var entry in archive.Entries.Where(e => !e.FullName.EndsWith('/')))
            {
                var name = NormalizeEntryName(entry.FullName);
                total += entry.Length;
                if (total > MaxUnpackedBytes)
                    throw TooLarge();
                try
                {
                    // The headers' sizes may lie: count the bytes that actually come out, and stop at the limit.
                    var text = ReadBounded(entry, MaxUnpackedBytes - (total - entry.Length));
                    total += text.Length - entry.Length;
                    if (Crc32.Of(text) != entry.Crc32)
                        throw new InvalidDataException("The entry's checksum does not match its contents.");
                    using var reader = new StreamReader(new MemoryStream(text));
                    files[name] = reader.ReadToEnd();
                }
                catch (InvalidDataException e)
                {
                    // A damaged entry surfaces only when read; without this it escaped as a server error.
                    throw new CoursePackageException($"'{entry.FullName}' in the package is damaged; make the zip again.", e);
                }
            }
            return Parse(StripCommonRoot(files));
        }
    }

    private static CoursePackageException TooLarge() => new($"The package unpacks to more than {MaxUnpackedBytes / (1024 * 1024)} MiB.");

    /// <summary>The entry's bytes, or a refusal as soon as more than <paramref name="budget"/> come out.</summary>
    private static byte[] ReadBounded(ZipArchiveEntry entry, long budget)
    {
        using var input = entry.Open();
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            if (output.Length + read > budget)
                throw TooLarge();
            output.Write(buffer, 0, read);
        }
        return output.ToArray();
    }

    /// <summary>Rejects absolute paths and '..' so an entry can never name a file outside the package.</summary>
    private static string NormalizeEntryName(string name)
    {
        var clean = name.Replace('\\', '/');
        if (clean.StartsWith('/') || clean.Split('/').Any(part => part is ".." or "") || clean.Contains(':'))
            throw new CoursePackageException($"The package holds an unsafe path: '{name}'.");
        return clean;
    }

    /// <summary>A zip made of the folder itself (course/course.yaml) reads like one made of its contents.</summary>
    private static Dictionary<string, string> StripCommonRoot(Dictionary<string, string> files)
    {
        if (files.ContainsKey("course.yaml"))
            return files;
        var roots = files.Keys.Select(k => k.Split('/')[0]).Distinct().ToList();
        if (roots.Count == 1 && files.ContainsKey($"{roots[0]}/course.yaml"))
            return files.ToDictionary(kv => kv.Key[(roots[0].Length + 1)..], kv => kv.Value);
        return files;
    }

    private static CoursePackage Parse(IReadOnlyDictionary<string, string> files)
    {
        if (!files.TryGetValue("course.yaml", out var courseYaml))
            throw new CoursePackageException("The package has no course.yaml at its top.");
        var course = Deserialize<CourseManifest>("course.yaml", courseYaml);
        Require("course.yaml", "code", course.Code);
        Require("course.yaml", "title", course.Title);

        var images = files.Where(f => f.Key.StartsWith("images/", StringComparison.Ordinal) && f.Key.EndsWith(".yaml", StringComparison.Ordinal))
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f =>
            {
                var recipe = Deserialize<LabImageRecipe>(f.Key, f.Value);
                if (string.IsNullOrWhiteSpace(recipe.Name))
                    recipe.Name = Path.GetFileNameWithoutExtension(f.Key);
                return recipe;
            })
            .ToList();

        var assignments = files.Where(f => f.Key.StartsWith("assignments/", StringComparison.Ordinal) && f.Key.EndsWith("/assignment.yaml", StringComparison.Ordinal))
            .OrderBy(f => f.Key, StringComparer.Ordinal)
            .Select(f => ReadAssignment(files, f.Key, f.Value, images))
            .ToList();

        var duplicate = assignments.GroupBy(a => a.Slug).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new CoursePackageException($"Two assignments use the slug '{duplicate.Key}'.");
        return new CoursePackage(course, images, assignments);
    }

    private static AssignmentPackage ReadAssignment(IReadOnlyDictionary<string, string> files, string path, string yaml, List<LabImageRecipe> images)
    {
        var folder = path[..path.LastIndexOf('/')];
        var assignment = Deserialize<AssignmentPackage>(path, yaml);
        if (string.IsNullOrWhiteSpace(assignment.Slug))
            assignment.Slug = folder[(folder.LastIndexOf('/') + 1)..];
        Require(path, "title", assignment.Title);
        if (assignment.Points < 0)
            throw new CoursePackageException($"{path}: points cannot be negative.");
        if (assignment.LabImage.Length > 0 && images.All(i => i.Name != assignment.LabImage))
            throw new CoursePackageException($"{path}: lab_image '{assignment.LabImage}' is not one of the package's images ({string.Join(", ", images.Select(i => i.Name))}).");
        CheckListYaml.Validate(path, assignment.Checks);
        if (!CheckResultsValues.All.Contains(assignment.CheckResults))
            throw new CoursePackageException($"{path}: check_results is '{assignment.CheckResults}'; use one of {string.Join(", ", CheckResultsValues.All)}.");
        assignment.Instructions = files.TryGetValue($"{folder}/instructions.md", out var md) ? md : "";
        return assignment;
    }

    private static T Deserialize<T>(string path, string yaml)
    {
        try
        {
            return CoursePackageYaml.Reader.Deserialize<T>(yaml) ?? throw new CoursePackageException($"{path} is empty.");
        }
        catch (YamlException e)
        {
            throw new CoursePackageException($"{path}, line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}", e);
        }
    }

    private static void Require(string path, string field, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new CoursePackageException($"{path}: '{field}' is required.");
    }
}
