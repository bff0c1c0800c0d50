namespace Platform.Data.Entities;

/// <summary>A student opened an assignment's lab: the assignment is in progress for them.</summary>
public sealed class LabVisit : ITenantOwned
{
    private LabVisit() { }

    public LabVisit(Assignment assignment, Guid studentId, DateTimeOffset at)
    {
        TenantId = assignment.TenantId;
        AssignmentId = assignment.Id;
        StudentId = studentId;
        FirstOpenedAt = LastOpenedAt = at;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid AssignmentId { get; private set; }
    public Guid StudentId { get; private set; }
    public DateTimeOffset FirstOpenedAt { get; private set; }
    public DateTimeOffset LastOpenedAt { get; private set; }

    public void Opened(DateTimeOffset at) => LastOpenedAt = at;
}
