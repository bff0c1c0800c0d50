using Microsoft.AspNetCore.Identity;

namespace Platform.Data.Entities;

/// <summary>
/// An account. Every account but a platform admin's belongs to exactly one tenant; the same email
/// may exist in two schools as two accounts.
/// </summary>
public sealed class PlatformUser : IdentityUser<Guid>
{
    public PlatformUser() => Id = Guid.CreateVersion7();

    public Guid? TenantId { get; set; }
    public string DisplayName { get; set; } = "";
    public bool IsTenantAdmin { get; set; }
    public bool IsPlatformAdmin { get; set; }
}
