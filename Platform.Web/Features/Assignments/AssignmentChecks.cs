using CoursePackages.Packaging;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Features.Autograding;
using Platform.Web.Features.Courses;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Assignments;

/// <summary>An assignment's checks as the teacher edits them: the course package's YAML, and when students see results.</summary>
public sealed record ChecksInput(string Yaml, CheckResultsVisibility Visibility);

/// <summary>Reading and changing an assignment's autograder checks (teachers of the course).</summary>
public sealed class AssignmentChecks(IDbContextFactory<PlatformDbContext> contexts, CourseAccess access)
{
    public async Task<ChecksInput> GetAsync(Guid assignmentId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var assignment = await RequireAsync(db, assignmentId);
        return new ChecksInput(CheckListYaml.Write(assignment.Checks.Select(ToPackage)), assignment.CheckResultsVisibility);
    }

    /// <summary>Replaces the checks; invalid YAML or a bad check is refused with the reason and changes nothing.</summary>
    public async Task SaveAsync(Guid assignmentId, ChecksInput input)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var assignment = await RequireAsync(db, assignmentId);
        if (!Enum.IsDefined(input.Visibility))
            throw new InvalidInputException("Choose when students see their check results.");
        List<CheckPackage> checks;
        try
        {
            checks = CheckListYaml.Parse(input.Yaml);
        }
        catch (CoursePackageException e)
        {
            throw new InvalidInputException($"The checks were not saved: {e.Message}");
        }
        assignment.Checks = checks.Select(c => new AutograderCheck
        {
            Name = c.Name.Trim(), Command = c.Command, Points = c.Points, TimeoutSeconds = c.TimeoutSeconds, VisibleToStudents = c.Visible,
        }).ToList();
        assignment.CheckResultsVisibility = input.Visibility;
        await db.SaveChangesAsync();
    }

    private async Task<Assignment> RequireAsync(PlatformDbContext db, Guid assignmentId)
    {
        var assignment = await db.Assignments.SingleOrDefaultAsync(a => a.Id == assignmentId)
            ?? throw new NotFoundException("There is no such assignment at this school.");
        await access.RequireAsync(assignment.CourseId, CourseOperations.Teach);
        return assignment;
    }

    private static CheckPackage ToPackage(AutograderCheck c) =>
        new() { Name = c.Name, Command = c.Command, Points = c.Points, TimeoutSeconds = c.TimeoutSeconds, Visible = c.VisibleToStudents };
}
