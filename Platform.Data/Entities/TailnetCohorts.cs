namespace Platform.Data.Entities;

public enum TailnetState
{
    /// <summary>Asked for; the provisioning job has not finished (or no server is connected yet).</summary>
    Pending = 0,
    Ready = 1,
    /// <summary>The last attempt failed; the job is retried and <see cref="CohortTailnet.LastError"/> says why.</summary>
    Failed = 2,
    /// <summary>The cohort was archived and its Headscale user, keys and nodes are gone.</summary>
    Removed = 3,
}

/// <summary>A cohort's tailnet: one Headscale user whose nodes reach each other and the course's servers.</summary>
public sealed class CohortTailnet : ITenantOwned
{
    private CohortTailnet() { }

    public CohortTailnet(Cohort cohort, string tenantSlug, DateTimeOffset now)
    {
        TenantId = cohort.TenantId;
        CohortId = cohort.Id;
        HeadscaleUser = UserNameFor(tenantSlug, cohort.Id);
        UpdatedAt = now;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid CohortId { get; private set; }
    public Cohort? Cohort { get; private set; }
    /// <summary>Stable: derived from the school's short name and the cohort's id, never from names people edit.</summary>
    public string HeadscaleUser { get; private set; } = "";
    /// <summary>Headscale's id of that user (a uint64 as text), known once it exists.</summary>
    public string? HeadscaleUserId { get; private set; }
    public TailnetState State { get; private set; }
    public string? LastError { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public DateTimeOffset? ProvisionedAt { get; private set; }

    public static string UserNameFor(string tenantSlug, Guid cohortId) => $"{tenantSlug}-{cohortId:N}";

    public void Provisioned(string headscaleUserId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(headscaleUserId);
        HeadscaleUserId = headscaleUserId;
        State = TailnetState.Ready;
        LastError = null;
        ProvisionedAt ??= now;
        UpdatedAt = now;
    }

    public void Failed(string error, DateTimeOffset now)
    {
        if (State != TailnetState.Removed)
            State = TailnetState.Failed;
        LastError = error.Length > 1000 ? error[..1000] : error;
        UpdatedAt = now;
    }

    public void Removed(DateTimeOffset now)
    {
        State = TailnetState.Removed;
        HeadscaleUserId = null;
        LastError = null;
        UpdatedAt = now;
    }
}

/// <summary>
/// A pre-auth key the portal issued for one student's lab session. The key itself is never stored:
/// only Headscale's id of it, so a node can be traced back to its student.
/// </summary>
public sealed class TailnetLabKey : ITenantOwned
{
    private TailnetLabKey() { }

    public TailnetLabKey(CohortTailnet tailnet, Guid studentId, Guid assignmentId, string headscaleKeyId, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        TenantId = tailnet.TenantId;
        CohortId = tailnet.CohortId;
        StudentId = studentId;
        AssignmentId = assignmentId;
        HeadscaleKeyId = headscaleKeyId;
        IssuedAt = issuedAt;
        ExpiresAt = expiresAt;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public Guid CohortId { get; private set; }
    public Guid StudentId { get; private set; }
    public Guid AssignmentId { get; private set; }
    public string HeadscaleKeyId { get; private set; } = "";
    public DateTimeOffset IssuedAt { get; private set; }
    public DateTimeOffset ExpiresAt { get; private set; }
}
