namespace Platform.Data.Entities;

public enum CourseRole
{
    Student = 0,
    Grader = 1,
    Teacher = 2,
}

/// <summary>A person's role in one course; students also sit in one cohort.</summary>
public sealed class Enrollment : ITenantOwned
{
    private Enrollment() { }

    public Enrollment(Course course, Guid userId, CourseRole role, Cohort? cohort = null)
    {
        if (cohort is not null && cohort.CourseId != course.Id)
            throw new ArgumentException("The cohort belongs to another course.", nameof(cohort));
        TenantId = course.TenantId;
        CourseId = course.Id;
        UserId = userId;
        Role = role;
        CohortId = cohort?.Id;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid CourseId { get; private set; }
    public Course? Course { get; private set; }
    public Guid UserId { get; private set; }
    public PlatformUser? User { get; private set; }
    public Guid? CohortId { get; private set; }
    public Cohort? Cohort { get; private set; }
    public CourseRole Role { get; private set; }

    public void Change(CourseRole role, Cohort? cohort)
    {
        Role = role;
        CohortId = cohort?.Id;
    }
}
