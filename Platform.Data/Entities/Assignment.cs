namespace Platform.Data.Entities;

/// <summary>Work students do on a lab image, graded against checks and a rubric.</summary>
public sealed class Assignment : ITenantOwned
{
    private Assignment() { }

    public Assignment(Course course, string slug, string title, DateTimeOffset dueAt, decimal points)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(slug);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentOutOfRangeException.ThrowIfNegative(points);
        TenantId = course.TenantId;
        CourseId = course.Id;
        Slug = slug.Trim();
        Title = title.Trim();
        DueAt = dueAt;
        Points = points;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid CourseId { get; private set; }
    public Course? Course { get; private set; }
    public Guid? LabImageId { get; set; }
    public LabImage? LabImage { get; private set; }
    public string Slug { get; private set; } = "";
    public string Title { get; set; } = "";
    public string InstructionsMarkdown { get; set; } = "";
    public DateTimeOffset DueAt { get; set; }
    public decimal Points { get; set; }
    public LatePolicy LatePolicy { get; set; } = new();
    public List<AutograderCheck> Checks { get; set; } = [];
    /// <summary>When students see their autograder results (visible checks only; staff see all at once).</summary>
    public CheckResultsVisibility CheckResultsVisibility { get; set; } = CheckResultsVisibility.Immediately;
    public List<RubricCriterion> Rubric { get; set; } = [];
    public List<Extension> Extensions { get; private set; } = [];

    /// <summary>The due date that applies to one student, extensions included.</summary>
    public DateTimeOffset DueFor(Guid studentId) =>
        Extensions.Where(e => e.StudentId == studentId).Select(e => (DateTimeOffset?)e.DueAt).Max() is { } extended && extended > DueAt
            ? extended
            : DueAt;
}

public enum CheckResultsVisibility
{
    Immediately = 0,
    AfterDueDate = 1,
    Never = 2,
}

/// <summary>How late work is accepted and what it costs.</summary>
public sealed class LatePolicy
{
    /// <summary>Whole days after the due date in which work is still accepted (0: none).</summary>
    public int AcceptDaysLate { get; set; } = 3;
    /// <summary>Percent of the points taken off per started day late.</summary>
    public decimal PenaltyPercentPerDay { get; set; } = 10;
}

/// <summary>A command run in the lab machine after the submission's files are placed.</summary>
public sealed class AutograderCheck
{
    public string Name { get; set; } = "";
    public string Command { get; set; } = "";
    public decimal Points { get; set; }
    public int TimeoutSeconds { get; set; } = 30;
    public bool VisibleToStudents { get; set; } = true;
}

public sealed class RubricCriterion
{
    public string Title { get; set; } = "";
    public string Description { get; set; } = "";
    public decimal Points { get; set; }
}

/// <summary>A later due date for one student.</summary>
public sealed class Extension : ITenantOwned
{
    private Extension() { }

    public Extension(Assignment assignment, Guid studentId, DateTimeOffset dueAt, string reason)
    {
        TenantId = assignment.TenantId;
        AssignmentId = assignment.Id;
        StudentId = studentId;
        DueAt = dueAt;
        Reason = reason.Trim();
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid AssignmentId { get; private set; }
    public Guid StudentId { get; private set; }
    public DateTimeOffset DueAt { get; private set; }
    public string Reason { get; private set; } = "";
}
