using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Platform.Data;
using Platform.Data.Tenancy;

namespace Platform.Migrations.PostgreSql;

/// <summary>Lets `dotnet ef migrations add` build the PostgreSQL model without a server.</summary>
public sealed class DesignTimeContextFactory : IDesignTimeDbContextFactory<PlatformDbContext>
{
    public PlatformDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PlatformDbContext>()
            .UseNpgsql("Host=localhost;Database=webvm_design", npgsql => npgsql.MigrationsAssembly(typeof(DesignTimeContextFactory).Assembly.GetName().Name))
            .Options;
        return new PlatformDbContext(options, new NoTenant());
    }

    private sealed class NoTenant : ITenantProvider
    {
        public Guid? TenantId => null;
    }
}
