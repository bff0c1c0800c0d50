namespace Platform.Data.Entities;

/// <summary>A school or organisation: its own people, courses and settings.</summary>
public sealed class Tenant
{
    private Tenant() { }

    public Tenant(string slug, string name)
    {
        if (!IsValidSlug(slug))
            throw new ArgumentException("A tenant's short name uses 2-40 lowercase letters, digits and dashes.", nameof(slug));
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Slug = slug;
        Name = name.Trim();
    }

    public Guid Id { get; private set; } = Guid.CreateVersion7();
    public string Slug { get; private set; } = "";
    public string Name { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; } = DateTimeOffset.UtcNow;

    public static bool IsValidSlug(string? slug) =>
        slug is { Length: >= 2 and <= 40 }
        && slug.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && slug[0] != '-' && slug[^1] != '-';
}
