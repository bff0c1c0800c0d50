using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Platform.Data.Entities;

namespace Platform.Web.Features.Courses;

public sealed record RosterRow(int Line, string Email, string Name, CourseRole? Role, string Cohort, string? Error)
{
    public bool IsValid => Error is null;
}

public sealed record RosterPreview(IReadOnlyList<RosterRow> Rows, string? FileError)
{
    public int Valid => Rows.Count(r => r.IsValid);
}

public sealed record RosterResult(int Enrolled, int AccountsCreated, IReadOnlyList<RosterRow> Failed);

/// <summary>
/// Enrolls a class from a CSV roster (<c>email,name,role,cohort</c>; role and cohort optional): a preview
/// with an error per bad row first, then only the good rows are applied.
/// </summary>
public sealed class RosterImport(CourseService courses)
{
    public const int MaxRows = 2000;
    private static readonly EmailAddressAttribute EmailCheck = new();

    public static RosterPreview Parse(string csvText, IReadOnlyCollection<string> cohorts)
    {
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = true,
            PrepareHeaderForMatch = args => args.Header.Trim().ToLowerInvariant(),
            MissingFieldFound = null,
            BadDataFound = null,
            TrimOptions = TrimOptions.Trim,
        };
        using var csv = new CsvReader(new StringReader(csvText), config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { } header || !header.Any(h => h.Trim().Equals("email", StringComparison.OrdinalIgnoreCase)))
            return new RosterPreview([], "The first line must be a header naming at least an 'email' column (email,name,role,cohort).");

        var rows = new List<RosterRow>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (csv.Read())
        {
            if (rows.Count >= MaxRows)
                return new RosterPreview(rows, $"A roster holds at most {MaxRows} rows; split the file.");
            var line = csv.Parser.RawRow;
            var email = csv.GetField("email") ?? "";
            var name = Field(csv, "name");
            var roleText = Field(csv, "role");
            var cohort = Field(csv, "cohort");
            if (email.Length == 0 && name.Length == 0 && roleText.Length == 0)
                continue;
            CourseRole? role = roleText.Length == 0 ? CourseRole.Student
                : Enum.TryParse<CourseRole>(roleText, ignoreCase: true, out var r) ? r : null;
            string? error =
                !EmailCheck.IsValid(email) || email.Length == 0 ? $"'{email}' is not an email address."
                : !seen.Add(email) ? $"{email} appears twice in the file."
                : role is null ? $"Role '{roleText}' is not one of student, grader, teacher."
                : cohort.Length > 0 && !cohorts.Contains(cohort) ? $"The course has no cohort '{cohort}' (it has: {string.Join(", ", cohorts)})."
                : role == CourseRole.Student && cohort.Length == 0 && cohorts.Count > 0 ? "A student needs a cohort." 
                : null;
            rows.Add(new RosterRow(line, email, name, role, cohort, error));
        }
        return new RosterPreview(rows, rows.Count == 0 ? "The file has a header but no people." : null);
    }

    public async Task<RosterResult> ApplyAsync(Guid courseId, RosterPreview preview)
    {
        int enrolled = 0, created = 0;
        var failed = new List<RosterRow>(preview.Rows.Where(r => !r.IsValid));
        foreach (var row in preview.Rows.Where(r => r.IsValid))
        {
            try
            {
                var result = await courses.EnrollAsync(courseId, row.Email, row.Name, row.Role!.Value, row.Cohort.Length > 0 ? row.Cohort : null);
                enrolled++;
                if (result.AccountCreated)
                    created++;
            }
            catch (InvalidInputException e)
            {
                failed.Add(row with { Error = e.Message });
            }
        }
        return new RosterResult(enrolled, created, failed);
    }

    private static string Field(CsvReader csv, string name) =>
        csv.HeaderRecord!.Any(h => h.Trim().Equals(name, StringComparison.OrdinalIgnoreCase)) ? csv.GetField(name) ?? "" : "";
}
