using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Platform.Data;

/// <summary>
/// The model differs by provider (SQLite stores DateTimeOffset as ticks), so a process that talks to
/// both (the tests do) must build one model per provider, not reuse the first.
/// </summary>
public sealed class ProviderModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) => (context.GetType(), context.Database.ProviderName, designTime);
}
