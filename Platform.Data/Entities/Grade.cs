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
    /// <summary>The score the student gets: the grader's override when there is one, else the rubric's points after the penalty.</summary>
    public decimal Score => OverrideScore ?? Math.Round(RawScore * (100 - LatePenaltyPercent) / 100, 2);
    /// <summary>A score set by a grader in place of the computed one, with the reason the student sees.</summary>
    public decimal? OverrideScore { get; private set; }
    public string OverrideReason { get; private set; } = "";
    public Guid? OverriddenById { get; private set; }
    public DateTimeOffset? OverriddenAt { get; private set; }
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

    /// <summary>Sets the score directly (null removes the override); a reason is required either way.</summary>
    public void Override(Guid graderId, decimal? score, decimal maxPoints, string reason, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (score is { } value && (value < 0 || value > maxPoints))
            throw new ArgumentOutOfRangeException(nameof(score), $"An overridden score lies between 0 and {maxPoints}.");
        OverrideScore = score;
        OverrideReason = reason.Trim();
        OverriddenById = graderId;
        OverriddenAt = now;
        if (GraderId == Guid.Empty)
        {
            GraderId = graderId;
            GradedAt = now;
        }
    }
}

public sealed class RubricScore
{
    public string Criterion { get; set; } = "";
    public decimal Points { get; set; }
    public decimal MaxPoints { get; set; }
}
