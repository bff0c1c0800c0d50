using Microsoft.EntityFrameworkCore;
using Platform.Data;
using Platform.Data.Tenancy;
using Platform.Migrations.Sqlite;
using Platform.Web.Tenancy;

namespace Platform.Web.Hosting;

public static class DataExtensions
{
    public static WebApplicationBuilder AddPlatformData(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(PlatformOptions.Section).Get<PlatformOptions>() ?? new();
        var dataDirectory = options.ResolveDataDirectory(builder.Environment.ContentRootPath);
        Directory.CreateDirectory(dataDirectory);
        var connectionString = builder.Configuration.GetConnectionString("Platform")
            ?? $"Data Source={Path.Combine(dataDirectory, "webvm.db")}";

        // Scoped: each context is built with the scope's tenant, which its query filters read.
        builder.Services.AddDbContextFactory<PlatformDbContext>(db =>
        {
            db.UseSqlite(connectionString, sqlite => sqlite.MigrationsAssembly(typeof(DesignTimeContextFactory).Assembly.GetName().Name));
            db.UseOpenIddict<Guid>();
        }, ServiceLifetime.Scoped);

        builder.Services.AddScoped<RequestTenant>();
        builder.Services.AddScoped<ITenantProvider>(sp => sp.GetRequiredService<RequestTenant>());
        builder.Services.AddScoped<CurrentUser>();
        return builder;
    }
}
