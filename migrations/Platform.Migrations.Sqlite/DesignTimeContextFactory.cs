using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Platform.Data;
using Platform.Data.Tenancy;

namespace Platform.Migrations.Sqlite;

/// <summary>Lets `dotnet ef migrations add` build the model without starting the portal.</summary>
public sealed class DesignTimeContextFactory : IDesignTimeDbContextFactory<PlatformDbContext>
{
    public PlatformDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PlatformDbContext>()
            .UseSqlite("Data Source=design-time.db", sqlite => sqlite.MigrationsAssembly(typeof(DesignTimeContextFactory).Assembly.GetName().Name))
            .Options;
        return new PlatformDbContext(options, new NoTenant());
    }

    private sealed class NoTenant : ITenantProvider
    {
        public Guid? TenantId => null;
    }
}
