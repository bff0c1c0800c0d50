using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Platform.Data.Entities;
using Platform.Data.Tenancy;

namespace Platform.Data;

public sealed class PlatformDbContext(DbContextOptions<PlatformDbContext> options, ITenantProvider tenant)
    : IdentityDbContext<PlatformUser, IdentityRole<Guid>, Guid>(options)
{
    /// <summary>Read by the query filters each time a query runs, so one context serves one tenant.</summary>
    public Guid? CurrentTenantId => tenant.TenantId;

    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<Course> Courses => Set<Course>();
    public DbSet<Cohort> Cohorts => Set<Cohort>();
    public DbSet<Enrollment> Enrollments => Set<Enrollment>();
    public DbSet<LabImage> LabImages => Set<LabImage>();
    public DbSet<Assignment> Assignments => Set<Assignment>();
    public DbSet<Extension> Extensions => Set<Extension>();
    public DbSet<Submission> Submissions => Set<Submission>();
    public DbSet<Grade> Grades => Set<Grade>();
    public DbSet<PendingUpload> PendingUploads => Set<PendingUpload>();
    public DbSet<JobIntent> JobIntents => Set<JobIntent>();
    public DbSet<LabVisit> LabVisits => Set<LabVisit>();
    public DbSet<AutogradeRun> AutogradeRuns => Set<AutogradeRun>();
    public DbSet<FileComment> FileComments => Set<FileComment>();
    public DbSet<RegradeRequest> RegradeRequests => Set<RegradeRequest>();
    public DbSet<TailnetServer> TailnetServers => Set<TailnetServer>();
    public DbSet<CohortTailnet> CohortTailnets => Set<CohortTailnet>();
    public DbSet<TailnetLabKey> TailnetLabKeys => Set<TailnetLabKey>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configuration)
    {
        // SQLite keeps DateTimeOffset as text, which it cannot order or compare; UTC ticks it can.
        // (PostgreSQL has a native type, so the conversion applies to SQLite only.)
        if (Database.IsSqlite())
        {
            configuration.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
            configuration.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PlatformDbContext).Assembly);
        builder.UseOpenIddict<Guid>();

        // Tenancy in one place: every tenant-owned row is visible only to a context of its tenant.
        builder.Entity<Course>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<Cohort>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<Enrollment>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<LabImage>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<Assignment>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<Extension>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<Submission>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<Grade>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<PendingUpload>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<LabVisit>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<AutogradeRun>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<FileComment>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<RegradeRequest>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<TailnetServer>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<CohortTailnet>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        builder.Entity<TailnetLabKey>().HasQueryFilter(e => e.TenantId == CurrentTenantId);
        // Accounts too: Identity's look-ups (sign-in, duplicate checks) then stay inside the tenant;
        // a context with no tenant sees only platform admins.
        builder.Entity<PlatformUser>().HasQueryFilter(u => u.TenantId == CurrentTenantId);
    }
}
