namespace Platform.Data.Entities;

/// <summary>
/// A background job the portal promised to run, recorded in the database so that a restart with
/// in-memory Hangfire storage re-enqueues it instead of losing it.
/// </summary>
public sealed class JobIntent
{
    private JobIntent() { }

    public JobIntent(string kind, string payload, Guid? tenantId)
    {
        Kind = kind;
        Payload = payload;
        TenantId = tenantId;
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid? TenantId { get; private set; }
    public string Kind { get; private set; } = "";
    public string Payload { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? CompletedAt { get; private set; }
    public int Attempts { get; private set; }
    public string? LastError { get; private set; }

    public void Started() => Attempts++;
    public void Completed(DateTimeOffset now) { CompletedAt = now; LastError = null; }
    public void Failed(string error) => LastError = error.Length > 2000 ? error[..2000] : error;
}
