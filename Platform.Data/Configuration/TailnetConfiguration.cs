using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Data.Entities;

namespace Platform.Data.Configuration;

internal sealed class TailnetServerConfiguration : IEntityTypeConfiguration<TailnetServer>
{
    public void Configure(EntityTypeBuilder<TailnetServer> builder)
    {
        builder.HasIndex(s => s.TenantId).IsUnique();
        builder.Property(s => s.Url).HasMaxLength(500);
        builder.Property(s => s.LastCheckMessage).HasMaxLength(500);
        builder.Property(s => s.ServerVersion).HasMaxLength(100);
        builder.HasOne<Tenant>().WithMany().HasForeignKey(s => s.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CohortTailnetConfiguration : IEntityTypeConfiguration<CohortTailnet>
{
    public void Configure(EntityTypeBuilder<CohortTailnet> builder)
    {
        builder.HasIndex(t => t.CohortId).IsUnique();
        builder.HasIndex(t => t.TenantId);
        builder.Property(t => t.HeadscaleUser).HasMaxLength(100);
        builder.Property(t => t.HeadscaleUserId).HasMaxLength(40);
        builder.Property(t => t.LastError).HasMaxLength(1000);
        builder.HasOne(t => t.Cohort).WithMany().HasForeignKey(t => t.CohortId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class TailnetLabKeyConfiguration : IEntityTypeConfiguration<TailnetLabKey>
{
    public void Configure(EntityTypeBuilder<TailnetLabKey> builder)
    {
        builder.HasIndex(k => new { k.CohortId, k.HeadscaleKeyId });
        builder.HasIndex(k => new { k.TenantId, k.StudentId });
        builder.Property(k => k.HeadscaleKeyId).HasMaxLength(40);
        builder.HasOne<Cohort>().WithMany().HasForeignKey(k => k.CohortId).OnDelete(DeleteBehavior.Cascade);
    }
}
