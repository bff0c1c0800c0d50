using YamlDotNet.Core;

namespace CoursePackages.Packaging;

/// <summary>
/// An assignment's checks as the YAML list of <c>assignment.yaml</c>'s <c>checks:</c>: the one
/// format teachers write, in a package or in the portal's check editor.
/// </summary>
public static class CheckListYaml
{
    public const int MaxTimeoutSeconds = 3600;

    public static List<CheckPackage> Parse(string yaml)
    {
        if (string.IsNullOrWhiteSpace(yaml))
            return [];
        List<CheckPackage> checks;
        try
        {
            checks = CoursePackageYaml.Reader.Deserialize<List<CheckPackage>>(yaml) ?? [];
        }
        catch (YamlException e)
        {
            throw new CoursePackageException($"Line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}", e);
        }
        Validate("checks", checks);
        return checks;
    }

    public static string Write(IEnumerable<CheckPackage> checks) => CoursePackageYaml.Writer.Serialize(checks.ToList());

    /// <summary>Every check has a unique name, a command, points ≥ 0 and a time limit of 1 s to an hour.</summary>
    public static void Validate(string where, IReadOnlyList<CheckPackage> checks)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var check in checks)
        {
            if (string.IsNullOrWhiteSpace(check.Name))
                throw new CoursePackageException($"{where}: every check needs a name.");
            if (!names.Add(check.Name.Trim()))
                throw new CoursePackageException($"{where}: two checks are named '{check.Name}'.");
            if (string.IsNullOrWhiteSpace(check.Command))
                throw new CoursePackageException($"{where}: check '{check.Name}' needs a command.");
            if (check.Points < 0)
                throw new CoursePackageException($"{where}: check '{check.Name}' has negative points.");
            if (check.TimeoutSeconds is < 1 or > MaxTimeoutSeconds)
                throw new CoursePackageException($"{where}: check '{check.Name}' has timeout_seconds {check.TimeoutSeconds}; use 1 to {MaxTimeoutSeconds}.");
        }
    }
}
