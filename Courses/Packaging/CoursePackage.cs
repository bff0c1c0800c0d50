namespace CoursePackages.Packaging;

/// <summary>A course as files: what <c>course.yaml</c>, the image recipes and the assignment folders say.</summary>
public sealed record CoursePackage(
    CourseManifest Course,
    IReadOnlyList<LabImageRecipe> Images,
    IReadOnlyList<AssignmentPackage> Assignments);

public sealed class CourseManifest
{
    public string Code { get; set; } = "";
    public string Title { get; set; } = "";
    public string Description { get; set; } = "";
    public List<string> Cohorts { get; set; } = [];
}

/// <summary>How a lab image is made and booted (<c>images/NAME.yaml</c>).</summary>
public sealed class LabImageRecipe
{
    public string Name { get; set; } = "";
    public string Version { get; set; } = "1";
    public string Description { get; set; } = "";
    /// <summary>The base the image is built on: a Debian suite for debootstrap, or another image.</summary>
    public string Base { get; set; } = "debian/bookworm-i386-minbase";
    public List<string> Packages { get; set; } = [];
    public string KernelCommandLine { get; set; } = "console=ttyS0 quiet";
    [YamlDotNet.Serialization.YamlMember(Alias = "memory_mib")]
    public int MemoryMiB { get; set; } = 256;
}

/// <summary>One assignment folder: <c>assignment.yaml</c> plus <c>instructions.md</c>.</summary>
public sealed class AssignmentPackage
{
    public string Slug { get; set; } = "";
    public string Title { get; set; } = "";
    public string LabImage { get; set; } = "";
    /// <summary>Days after the course is imported that the assignment is due (packages carry no calendar).</summary>
    public int DueInDays { get; set; } = 14;
    public decimal Points { get; set; }
    public LatePolicyPackage LatePolicy { get; set; } = new();
    public List<CheckPackage> Checks { get; set; } = [];
    /// <summary>When students see their check results: immediately, after_due_date or never.</summary>
    public string CheckResults { get; set; } = CheckResultsValues.Immediately;
    public List<RubricCriterionPackage> Rubric { get; set; } = [];
    /// <summary>Read from <c>instructions.md</c>, not from the YAML.</summary>
    [YamlDotNet.Serialization.YamlIgnore]
    public string Instructions { get; set; } = "";
}

public sealed class LatePolicyPackage
{
    public int AcceptDaysLate { get; set; } = 3;
    public decimal PenaltyPercentPerDay { get; set; } = 10;
}

/// <summary>The values of <c>check_results</c>.</summary>
public static class CheckResultsValues
{
    public const string Immediately = "immediately";
    public const string AfterDueDate = "after_due_date";
    public const string Never = "never";
    public static readonly IReadOnlyList<string> All = [Immediately, AfterDueDate, Never];
}

/// <summary>
/// A command run in the lab machine, in the student's home folder, after the submission's files
/// are placed there. Exit status 0 earns the points; a line <c>POINTS n/m</c> in its output earns
/// that fraction instead (partial credit). Over <c>timeout_seconds</c> it is interrupted and earns nothing.
/// </summary>
public sealed class CheckPackage
{
    public string Name { get; set; } = "";
    public string Command { get; set; } = "";
    public decimal Points { get; set; }
    public int TimeoutSeconds { get; set; } = 30;
    public bool Visible { get; set; } = true;
}

public sealed class RubricCriterionPackage
{
    public string Title { get; set; } = "";
    public string Description { get; set; } = "";
    public decimal Points { get; set; }
}
