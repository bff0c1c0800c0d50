using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Data.Entities;

namespace Platform.Data.Configuration;

internal sealed class CourseConfiguration : IEntityTypeConfiguration<Course>
{
    public void Configure(EntityTypeBuilder<Course> builder)
    {
        builder.HasIndex(c => new { c.TenantId, c.Code }).IsUnique();
        builder.Property(c => c.Code).HasMaxLength(40);
        builder.Property(c => c.Title).HasMaxLength(200);
        builder.HasOne<Tenant>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CohortConfiguration : IEntityTypeConfiguration<Cohort>
{
    public void Configure(EntityTypeBuilder<Cohort> builder)
    {
        builder.HasIndex(c => new { c.CourseId, c.Name }).IsUnique();
        builder.Property(c => c.Name).HasMaxLength(100);
        builder.HasOne(c => c.Course).WithMany(c => c.Cohorts).HasForeignKey(c => c.CourseId);
    }
}

internal sealed class EnrollmentConfiguration : IEntityTypeConfiguration<Enrollment>
{
    public void Configure(EntityTypeBuilder<Enrollment> builder)
    {
        builder.HasIndex(e => new { e.CourseId, e.UserId }).IsUnique();
        builder.HasIndex(e => new { e.TenantId, e.UserId });
        builder.HasOne(e => e.Course).WithMany(c => c.Enrollments).HasForeignKey(e => e.CourseId);
        builder.HasOne(e => e.User).WithMany().HasForeignKey(e => e.UserId);
        builder.HasOne(e => e.Cohort).WithMany().HasForeignKey(e => e.CohortId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class LabImageConfiguration : IEntityTypeConfiguration<LabImage>
{
    public void Configure(EntityTypeBuilder<LabImage> builder)
    {
        builder.HasIndex(i => new { i.CourseId, i.Name, i.Version }).IsUnique();
        builder.Property(i => i.Name).HasMaxLength(100);
        builder.Property(i => i.Version).HasMaxLength(40);
        builder.HasOne<Course>().WithMany(c => c.LabImages).HasForeignKey(i => i.CourseId);
    }
}
