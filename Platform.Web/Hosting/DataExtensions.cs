using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Platform.Data;
using Platform.Data.Tenancy;
using Platform.Web.Tenancy;

namespace Platform.Web.Hosting;

public static class DataExtensions
{
    public static WebApplicationBuilder AddPlatformData(this WebApplicationBuilder builder)
    {
        var options = PlatformOptions.From(builder.Configuration);
        var dataDirectory = options.ResolveDataDirectory(builder.Environment.ContentRootPath);
        Directory.CreateDirectory(dataDirectory);
        var connectionString = builder.Configuration.GetConnectionString("Platform");

        // Scoped: each context is built with the scope's tenant, which its query filters read.
        builder.Services.AddDbContextFactory<PlatformDbContext>(db =>
        {
            if (options.UsesPostgres)
            {
                db.UseNpgsql(connectionString ?? throw new InvalidOperationException("Platform:Database is 'postgres': set ConnectionStrings:Platform."),
                    npgsql => npgsql.MigrationsAssembly("Platform.Migrations.PostgreSql").EnableRetryOnFailure());
            }
            else
            {
                db.UseSqlite(connectionString ?? $"Data Source={Path.Combine(dataDirectory, "webvm.db")}",
                    sqlite => sqlite.MigrationsAssembly("Platform.Migrations.Sqlite"));
            }
            db.UseOpenIddict<Guid>();
            db.ReplaceService<IModelCacheKeyFactory, ProviderModelCacheKeyFactory>();
        }, ServiceLifetime.Scoped);

        builder.Services.AddScoped<RequestTenant>();
        builder.Services.AddScoped<ITenantProvider>(sp => sp.GetRequiredService<RequestTenant>());
        builder.Services.AddScoped<CurrentUser>();
        return builder;
    }
}
