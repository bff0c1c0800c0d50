namespace Platform.Data.Tenancy;

/// <summary>
/// The tenant the current unit of work acts for. The DbContext filters every tenant-owned row by it,
/// so a context with no tenant sees no tenant data at all (fail closed).
/// </summary>
public interface ITenantProvider
{
    Guid? TenantId { get; }
}

/// <summary>Implemented by every row that belongs to one tenant.</summary>
public interface ITenantOwned
{
    Guid TenantId { get; }
}
