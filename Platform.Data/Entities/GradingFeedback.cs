namespace Platform.Data.Entities;

/// <summary>A grader's comment on a file of a submission (optionally on one line); students see it once the grade is released.</summary>
public sealed class FileComment : ITenantOwned
{
    private FileComment() { }

    public FileComment(Submission submission, Guid fileId, int? line, Guid authorId, string body, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(body);
        if (line is < 1)
            throw new ArgumentOutOfRangeException(nameof(line), "Lines are counted from 1.");
        TenantId = submission.TenantId;
        SubmissionId = submission.Id;
        FileId = fileId;
        Line = line;
        AuthorId = authorId;
        Body = body.Trim();
        CreatedAt = now;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid SubmissionId { get; private set; }
    public Guid FileId { get; private set; }
    public int? Line { get; private set; }
    public Guid AuthorId { get; private set; }
    public PlatformUser? Author { get; private set; }
    public string Body { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
}

public enum RegradeStatus
{
    Open = 0,
    /// <summary>The grader looked again; the grade may have changed.</summary>
    Resolved = 1,
    Declined = 2,
}

/// <summary>A student's request to look at a released grade again, with their reason and the grader's answer.</summary>
public sealed class RegradeRequest : ITenantOwned
{
    private RegradeRequest() { }

    public RegradeRequest(Submission submission, string reason, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        TenantId = submission.TenantId;
        SubmissionId = submission.Id;
        StudentId = submission.StudentId;
        Reason = reason.Trim();
        CreatedAt = now;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid SubmissionId { get; private set; }
    public Guid StudentId { get; private set; }
    public string Reason { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public RegradeStatus Status { get; private set; } = RegradeStatus.Open;
    public string Response { get; private set; } = "";
    public Guid? ResolvedById { get; private set; }
    public DateTimeOffset? ResolvedAt { get; private set; }

    public void Answer(Guid graderId, bool accepted, string response, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(response);
        if (Status != RegradeStatus.Open)
            throw new InvalidOperationException("This regrade request has been answered already.");
        Status = accepted ? RegradeStatus.Resolved : RegradeStatus.Declined;
        Response = response.Trim();
        ResolvedById = graderId;
        ResolvedAt = now;
    }
}
