namespace Platform.Data.Entities;

public enum SubmissionSource
{
    Upload = 0,
    LabMachine = 1,
}

/// <summary>
/// One immutable version of a student's work. The client-chosen id makes a retried submission land
/// once: (assignment, student, client id) is unique.
/// </summary>
public sealed class Submission : ITenantOwned
{
    private Submission() { }

    public Submission(Assignment assignment, Guid studentId, int version, string clientSubmissionId,
        SubmissionSource source, DateTimeOffset submittedAt, IEnumerable<SubmissionFile> files)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientSubmissionId);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        TenantId = assignment.TenantId;
        AssignmentId = assignment.Id;
        StudentId = studentId;
        Version = version;
        ClientSubmissionId = clientSubmissionId;
        Source = source;
        SubmittedAt = submittedAt;
        DueAt = assignment.DueFor(studentId);
        Files = files.ToList();
        if (Files.Count == 0)
            throw new ArgumentException("A submission has at least one file.", nameof(files));
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid AssignmentId { get; private set; }
    public Assignment? Assignment { get; private set; }
    public Guid StudentId { get; private set; }
    public PlatformUser? Student { get; private set; }
    public int Version { get; private set; }
    public string ClientSubmissionId { get; private set; } = "";
    public SubmissionSource Source { get; private set; }
    public DateTimeOffset SubmittedAt { get; private set; }
    /// <summary>The due date that applied when it was submitted (extensions included).</summary>
    public DateTimeOffset DueAt { get; private set; }
    public List<SubmissionFile> Files { get; private set; } = [];
    public Grade? Grade { get; private set; }

    public bool IsLate => SubmittedAt > DueAt;

    /// <summary>Started days late (0 when on time).</summary>
    public int DaysLate => IsLate ? (int)Math.Ceiling((SubmittedAt - DueAt).TotalDays) : 0;

    public long TotalBytes => Files.Sum(f => f.Size);
}

public sealed class SubmissionFile
{
    private SubmissionFile() { }

    public SubmissionFile(string path, long size, string sha256, string storageKey)
    {
        Path = path;
        Size = size;
        Sha256 = sha256;
        StorageKey = storageKey;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid SubmissionId { get; private set; }
    /// <summary>The file's name inside the submission, with forward slashes.</summary>
    public string Path { get; private set; } = "";
    public long Size { get; private set; }
    public string Sha256 { get; private set; } = "";
    /// <summary>Where the file store keeps the bytes (content-addressed).</summary>
    public string StorageKey { get; private set; } = "";
}
