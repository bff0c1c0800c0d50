namespace Platform.Data.Entities;

/// <summary>
/// The Headscale server a school connected (one per school). The API key is stored only as the
/// Data Protection ciphertext the portal made of it; nothing reads it back except the client.
/// </summary>
public sealed class TailnetServer : ITenantOwned
{
    private TailnetServer() { }

    public TailnetServer(Guid tenantId, Uri url, string protectedApiKey, DateTimeOffset now)
    {
        TenantId = tenantId;
        Connect(url, protectedApiKey, now);
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public Guid TenantId { get; private set; }
    public string Url { get; private set; } = "";
    public string ProtectedApiKey { get; private set; } = "";
    public DateTimeOffset ApiKeySetAt { get; private set; }
    public DateTimeOffset? LastCheckedAt { get; private set; }
    public bool? LastCheckOk { get; private set; }
    public string? LastCheckMessage { get; private set; }
    public string? ServerVersion { get; private set; }

    /// <summary>Points the school at a server; a null key keeps the one stored (the URL alone changed).</summary>
    public void Connect(Uri url, string? protectedApiKey, DateTimeOffset now)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
            throw new ArgumentException("The server address is an absolute http or https URL.", nameof(url));
        Url = url.ToString().TrimEnd('/');
        if (protectedApiKey is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(protectedApiKey);
            ProtectedApiKey = protectedApiKey;
            ApiKeySetAt = now;
        }
        LastCheckedAt = null;
        LastCheckOk = null;
        LastCheckMessage = null;
    }

    public void Checked(bool ok, string message, string? version, DateTimeOffset now)
    {
        LastCheckOk = ok;
        LastCheckMessage = message.Length > 500 ? message[..500] : message;
        ServerVersion = version;
        LastCheckedAt = now;
    }
}
