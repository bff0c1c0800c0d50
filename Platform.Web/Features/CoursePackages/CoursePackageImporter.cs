using CoursePackages.Packaging;
using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Features.Courses;

namespace Platform.Web.Features.CoursePackages;

/// <summary>Turns a course package into a course of one tenant, and a course back into a package.</summary>
public sealed class CoursePackageImporter(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock)
{
    /// <summary>Creates the course with its cohorts, lab images and assignments; refuses a code already in use.</summary>
    public async Task<Course> ImportAsync(CoursePackage package, Guid tenantId, Guid? teacherId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Courses.IgnoreQueryFilters().AnyAsync(c => c.TenantId == tenantId && c.Code == package.Course.Code, cancellationToken))
            throw new InvalidInputException($"A course with the code '{package.Course.Code}' exists already; rename it in course.yaml or remove the old one.");

        var course = new Course(tenantId, package.Course.Code, package.Course.Title, package.Course.Description);
        db.Courses.Add(course);
        db.Cohorts.AddRange(package.Course.Cohorts.Distinct().Select(name => new Cohort(course, name)));
        var images = package.Images.ToDictionary(r => r.Name, r => new LabImage(course, r.Name, r.Version)
        {
            Description = r.Description,
            KernelCommandLine = r.KernelCommandLine,
            MemoryMiB = r.MemoryMiB,
            Recipe = RecipeText(r),
        });
        db.LabImages.AddRange(images.Values);

        var today = clock.GetUtcNow().Date;
        foreach (var item in package.Assignments)
        {
            var assignment = new Assignment(course, item.Slug, item.Title, new DateTimeOffset(today.AddDays(item.DueInDays).AddHours(23).AddMinutes(59), TimeSpan.Zero), item.Points)
            {
                InstructionsMarkdown = item.Instructions,
                LabImageId = images.TryGetValue(item.LabImage, out var image) ? image.Id : null,
                LatePolicy = new LatePolicy { AcceptDaysLate = item.LatePolicy.AcceptDaysLate, PenaltyPercentPerDay = item.LatePolicy.PenaltyPercentPerDay },
                Checks = item.Checks.Select(c => new AutograderCheck { Name = c.Name, Command = c.Command, Points = c.Points, TimeoutSeconds = c.TimeoutSeconds, VisibleToStudents = c.Visible }).ToList(),
                CheckResultsVisibility = Autograding.CheckResultsFormat.Parse(item.CheckResults),
                Rubric = item.Rubric.Select(r => new RubricCriterion { Title = r.Title, Description = r.Description, Points = r.Points }).ToList(),
            };
            db.Assignments.Add(assignment);
        }
        if (teacherId is { } teacher)
            db.Enrollments.Add(new Enrollment(course, teacher, CourseRole.Teacher));
        await db.SaveChangesAsync(cancellationToken);
        return course;
    }

    public async Task<CoursePackage> ExportAsync(Guid courseId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var course = await db.Courses.AsNoTracking().Include(c => c.Cohorts).Include(c => c.LabImages).Include(c => c.Assignments)
            .SingleAsync(c => c.Id == courseId, cancellationToken);
        var imageNames = course.LabImages.ToDictionary(i => i.Id, i => i.Name);
        var created = course.CreatedAt.UtcDateTime.Date;
        return new CoursePackage(
            new CourseManifest { Code = course.Code, Title = course.Title, Description = course.Description, Cohorts = course.Cohorts.Select(c => c.Name).Order().ToList() },
            course.LabImages.OrderBy(i => i.Name).Select(i => new LabImageRecipe
            {
                Name = i.Name, Version = i.Version, Description = i.Description, KernelCommandLine = i.KernelCommandLine, MemoryMiB = i.MemoryMiB,
                Base = RecipeBase(i.Recipe), Packages = RecipePackages(i.Recipe),
            }).ToList(),
            course.Assignments.OrderBy(a => a.DueAt).Select(a => new AssignmentPackage
            {
                Slug = a.Slug, Title = a.Title, Points = a.Points, Instructions = a.InstructionsMarkdown,
                LabImage = a.LabImageId is { } id && imageNames.TryGetValue(id, out var name) ? name : "",
                DueInDays = Math.Max(0, (int)(a.DueAt.UtcDateTime.Date - created).TotalDays),
                LatePolicy = new LatePolicyPackage { AcceptDaysLate = a.LatePolicy.AcceptDaysLate, PenaltyPercentPerDay = a.LatePolicy.PenaltyPercentPerDay },
                Checks = a.Checks.Select(c => new CheckPackage { Name = c.Name, Command = c.Command, Points = c.Points, TimeoutSeconds = c.TimeoutSeconds, Visible = c.VisibleToStudents }).ToList(),
                CheckResults = Autograding.CheckResultsFormat.Format(a.CheckResultsVisibility),
                Rubric = a.Rubric.Select(r => new RubricCriterionPackage { Title = r.Title, Description = r.Description, Points = r.Points }).ToList(),
            }).ToList());
    }

    // The stored recipe keeps what the image builder needs, one "key: value" per line.
    private static string RecipeText(LabImageRecipe recipe) =>
        $"base: {recipe.Base}\npackages: {string.Join(' ', recipe.Packages)}\n";

    private static string RecipeBase(string recipe) => RecipeLine(recipe, "base") ?? "";

    private static List<string> RecipePackages(string recipe) =>
        (RecipeLine(recipe, "packages") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static string? RecipeLine(string recipe, string key) =>
        recipe.Split('\n').Where(l => l.StartsWith(key + ":", StringComparison.Ordinal)).Select(l => l[(key.Length + 1)..].Trim()).FirstOrDefault();
}
