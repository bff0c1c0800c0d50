namespace CoursePackages.Packaging;

/// <summary>The course packages that ship with the portal (copied beside its binaries).</summary>
public static class BundledCourses
{
    public const string IntroToLinux = "intro-to-linux";

    public static string FolderOf(string name) => Path.Combine(AppContext.BaseDirectory, "course-packages", name);
}
