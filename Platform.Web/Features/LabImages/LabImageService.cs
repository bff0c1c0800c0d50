using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Features.Courses;

namespace Platform.Web.Features.LabImages;

public sealed record LabImageInput(string Name, string Version, string Description, string KernelCommandLine, int MemoryMiB);

/// <summary>The lab images a course's assignments boot. Building them arrives with the disk work; here they are registered.</summary>
public sealed class LabImageService(IDbContextFactory<PlatformDbContext> contexts, CourseAccess access)
{
    public async Task<IReadOnlyList<LabImage>> ListAsync(Guid courseId)
    {
        await access.RequireAsync(courseId, CourseOperations.View);
        await using var db = await contexts.CreateDbContextAsync();
        return await db.LabImages.AsNoTracking().Where(i => i.CourseId == courseId).OrderBy(i => i.Name).ThenBy(i => i.Version).ToListAsync();
    }

    public async Task<LabImage> RegisterAsync(Guid courseId, LabImageInput input)
    {
        await access.RequireAsync(courseId, CourseOperations.Teach);
        if (string.IsNullOrWhiteSpace(input.Name) || string.IsNullOrWhiteSpace(input.Version))
            throw new InvalidInputException("A lab image needs a name and a version.");
        if (input.MemoryMiB is < 64 or > 2048)
            throw new InvalidInputException("Memory lies between 64 and 2048 MiB.");
        await using var db = await contexts.CreateDbContextAsync();
        var course = await db.Courses.SingleAsync(c => c.Id == courseId);
        if (await db.LabImages.AnyAsync(i => i.CourseId == courseId && i.Name == input.Name.Trim() && i.Version == input.Version.Trim()))
            throw new InvalidInputException($"{input.Name.Trim()} version {input.Version.Trim()} is registered already; give the new one another version.");
        var image = new LabImage(course, input.Name, input.Version)
        {
            Description = input.Description.Trim(),
            KernelCommandLine = input.KernelCommandLine.Trim(),
            MemoryMiB = input.MemoryMiB,
        };
        db.LabImages.Add(image);
        await db.SaveChangesAsync();
        return image;
    }
}
