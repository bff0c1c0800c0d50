namespace Platform.Data.Entities;

/// <summary>
/// A submission being streamed in chunks. Its bytes sit in the file store's staging area until every
/// file is complete and matches its hash; then it becomes a <see cref="Submission"/> in one transaction.
/// </summary>
public sealed class PendingUpload : ITenantOwned
{
    private PendingUpload() { }

    public PendingUpload(Assignment assignment, Guid studentId, string clientSubmissionId, IEnumerable<PendingUploadFile> files)
    {
        TenantId = assignment.TenantId;
        AssignmentId = assignment.Id;
        StudentId = studentId;
        ClientSubmissionId = clientSubmissionId;
        Files = files.ToList();
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid AssignmentId { get; private set; }
    public Guid StudentId { get; private set; }
    public string ClientSubmissionId { get; private set; } = "";
    public DateTimeOffset StartedAt { get; private set; } = DateTimeOffset.UtcNow;
    public List<PendingUploadFile> Files { get; private set; } = [];
}

public sealed class PendingUploadFile
{
    public string Path { get; set; } = "";
    public long Size { get; set; }
    public string Sha256 { get; set; } = "";
}
