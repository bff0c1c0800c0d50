using System.IO.Compression;
using System.Text;

namespace CoursePackages.Packaging;

/// <summary>Writes a package back out as a zip in the same layout the reader takes.</summary>
public static class CoursePackageWriter
{
    public static void WriteZip(CoursePackage package, Stream output)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        Add(zip, "course.yaml", CoursePackageYaml.Writer.Serialize(package.Course));
        foreach (var image in package.Images)
            Add(zip, $"images/{image.Name}.yaml", CoursePackageYaml.Writer.Serialize(image));
        foreach (var assignment in package.Assignments)
        {
            Add(zip, $"assignments/{assignment.Slug}/assignment.yaml", CoursePackageYaml.Writer.Serialize(assignment));
            Add(zip, $"assignments/{assignment.Slug}/instructions.md", assignment.Instructions);
        }
    }

    private static void Add(ZipArchive zip, string name, string text)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        stream.Write(Encoding.UTF8.GetBytes(text));
    }
}
