namespace Platform.Data.Entities;

public enum AutogradeRunStatus
{
    /// <summary>Waiting for a free machine slot.</summary>
    Queued = 0,
    Running = 1,
    /// <summary>Every check ran (passing or not): the score is the submission's.</summary>
    Completed = 2,
    /// <summary>The machine hung or looped and was stopped at a time limit; checks not reached score nothing.</summary>
    Stopped = 3,
    /// <summary>The platform could not run the checks (no kernel, boot failure...) after every retry; no score.</summary>
    Failed = 4,
}

/// <summary>
/// The autograder's run of an assignment's checks on one submission version, in the assignment's
/// lab machine. One per submission version: running it again replaces its results.
/// </summary>
public sealed class AutogradeRun : ITenantOwned
{
    private AutogradeRun() { }

    public AutogradeRun(Submission submission, DateTimeOffset now)
    {
        TenantId = submission.TenantId;
        SubmissionId = submission.Id;
        AssignmentId = submission.AssignmentId;
        QueuedAt = now;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid SubmissionId { get; private set; }
    public Guid AssignmentId { get; private set; }
    public AutogradeRunStatus Status { get; private set; } = AutogradeRunStatus.Queued;
    /// <summary>How many times a machine was started for this run (more than one after an infrastructure failure or a restart).</summary>
    public int Attempts { get; private set; }
    public DateTimeOffset QueuedAt { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    public decimal Score { get; private set; }
    public decimal MaxScore { get; private set; }
    /// <summary>Whether the machine resumed from the lab image's post-boot snapshot instead of booting.</summary>
    public bool UsedSnapshot { get; private set; }
    /// <summary>One line for people: what happened ("3 of 3 checks passed", "stopped after 60 s", the infrastructure error).</summary>
    public string Summary { get; private set; } = "";
    /// <summary>The machine's serial console (capped; the end is kept).</summary>
    public string ConsoleLog { get; private set; } = "";
    public List<CheckResult> Results { get; private set; } = [];

    public bool IsFinished => Status is AutogradeRunStatus.Completed or AutogradeRunStatus.Stopped or AutogradeRunStatus.Failed;

    public void Start(DateTimeOffset now)
    {
        Attempts++;
        Status = AutogradeRunStatus.Running;
        StartedAt = now;
        FinishedAt = null;
    }

    /// <summary>Queues the run again (a grader asked for it): the old results are replaced when it finishes.</summary>
    public void Requeue(DateTimeOffset now)
    {
        Status = AutogradeRunStatus.Queued;
        QueuedAt = now;
        Attempts = 0;
    }

    public void Finish(bool stoppedAtLimit, IReadOnlyList<CheckResult> results, bool usedSnapshot, string summary, string consoleLog, DateTimeOffset now)
    {
        Results = results.ToList();
        Score = results.Sum(r => r.Points);
        MaxScore = results.Sum(r => r.MaxPoints);
        UsedSnapshot = usedSnapshot;
        Summary = summary;
        ConsoleLog = consoleLog;
        Status = stoppedAtLimit ? AutogradeRunStatus.Stopped : AutogradeRunStatus.Completed;
        FinishedAt = now;
    }

    /// <summary>An infrastructure failure: <paramref name="final"/> when no retry is left.</summary>
    public void Fail(string error, string consoleLog, bool final, DateTimeOffset now)
    {
        Summary = error.Length > 2000 ? error[..2000] : error;
        ConsoleLog = consoleLog;
        if (final)
        {
            Status = AutogradeRunStatus.Failed;
            FinishedAt = now;
        }
        else
        {
            Status = AutogradeRunStatus.Queued;
        }
    }
}

public enum CheckOutcome
{
    Passed = 0,
    /// <summary>The check printed a POINTS line giving part of its points.</summary>
    Partial = 1,
    Failed = 2,
    /// <summary>The check ran past its time limit and was interrupted.</summary>
    TimedOut = 3,
    /// <summary>The machine stopped before this check could run.</summary>
    NotRun = 4,
}

/// <summary>One check's result in a run, with what it printed.</summary>
public sealed class CheckResult
{
    public string Name { get; set; } = "";
    public decimal Points { get; set; }
    public decimal MaxPoints { get; set; }
    public CheckOutcome Outcome { get; set; }
    public int? ExitCode { get; set; }
    public string Output { get; set; } = "";
    /// <summary>Copied from the check when it ran: hidden checks' results are for staff only.</summary>
    public bool VisibleToStudents { get; set; } = true;
    public double Seconds { get; set; }
}
