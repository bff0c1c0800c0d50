namespace Platform.Data.Entities;

/// <summary>A grader's judgement of one submission; students see it once released.</summary>
public sealed class Grade : ITenantOwned
{
    private Grade() { }

    public Grade(Submission submission)
    {
        TenantId = submission.TenantId;
        SubmissionId = submission.Id;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid SubmissionId { get; private set; }
    public Submission? Submission { get; private set; }
    /// <summary>Points before the late penalty.</summary>
    public decimal RawScore { get; private set; }
    /// <summary>Percent taken off for lateness, from the assignment's policy.</summary>
    public decimal LatePenaltyPercent { get; private set; }
    public decimal Score => Math.Round(RawScore * (100 - LatePenaltyPercent) / 100, 2);
    public List<RubricScore> RubricScores { get; private set; } = [];
    public string Comment { get; private set; } = "";
    public Guid GraderId { get; private set; }
    public DateTimeOffset GradedAt { get; private set; }
    public DateTimeOffset? ReleasedAt { get; private set; }

    public bool IsReleased => ReleasedAt is not null;

    public void Record(Guid graderId, IReadOnlyList<RubricScore> scores, decimal latePenaltyPercent, string comment, DateTimeOffset now)
    {
        if (scores.Any(s => s.Points < 0 || s.Points > s.MaxPoints))
            throw new ArgumentException("Each criterion's points lie between 0 and its maximum.", nameof(scores));
        RubricScores = scores.ToList();
        RawScore = scores.Sum(s => s.Points);
        LatePenaltyPercent = Math.Clamp(latePenaltyPercent, 0, 100);
        Comment = comment.Trim();
        GraderId = graderId;
        GradedAt = now;
    }

    public void Release(DateTimeOffset now) => ReleasedAt ??= now;
}

public sealed class RubricScore
{
    public string Criterion { get; set; } = "";
    public decimal Points { get; set; }
    public decimal MaxPoints { get; set; }
}
