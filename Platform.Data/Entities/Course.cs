namespace Platform.Data.Entities;

public sealed class Course : ITenantOwned
{
    private Course() { }

    public Course(Guid tenantId, string code, string title, string description = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        TenantId = tenantId;
        Code = code.Trim();
        Title = title.Trim();
        Description = description.Trim();
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public string Code { get; private set; } = "";
    public string Title { get; private set; } = "";
    public string Description { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; } = DateTimeOffset.UtcNow;

    public List<Cohort> Cohorts { get; private set; } = [];
    public List<Enrollment> Enrollments { get; private set; } = [];
    public List<Assignment> Assignments { get; private set; } = [];
    public List<LabImage> LabImages { get; private set; } = [];

    public void Rename(string title, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Title = title.Trim();
        Description = description.Trim();
    }
}

/// <summary>A section of a course: its own students and, later, its own tailnet.</summary>
public sealed class Cohort : ITenantOwned
{
    private Cohort() { }

    public Cohort(Course course, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        TenantId = course.TenantId;
        CourseId = course.Id;
        Name = name.Trim();
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid CourseId { get; private set; }
    public Course? Course { get; private set; }
    public string Name { get; private set; } = "";
    /// <summary>Set when the section is over: its tailnet is taken down and it takes no new lab sessions.</summary>
    public DateTimeOffset? ArchivedAt { get; private set; }

    public void Archive(DateTimeOffset now) => ArchivedAt ??= now;
}
