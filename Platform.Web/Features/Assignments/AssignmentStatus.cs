namespace Platform.Web.Features.Assignments;

/// <summary>Where a student stands on an assignment, as their list shows it.</summary>
public enum AssignmentStatus
{
    NotStarted,
    InProgress,
    Submitted,
    Late,
    Graded,
}

public static class AssignmentStatusText
{
    public static string Text(this AssignmentStatus status) => status switch
    {
        AssignmentStatus.NotStarted => "Not started",
        AssignmentStatus.InProgress => "In progress",
        AssignmentStatus.Submitted => "Submitted",
        AssignmentStatus.Late => "Late",
        AssignmentStatus.Graded => "Graded",
        _ => status.ToString(),
    };
}
