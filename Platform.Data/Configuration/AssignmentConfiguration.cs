using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Data.Entities;

namespace Platform.Data.Configuration;

internal sealed class AssignmentConfiguration : IEntityTypeConfiguration<Assignment>
{
    public void Configure(EntityTypeBuilder<Assignment> builder)
    {
        builder.HasIndex(a => new { a.CourseId, a.Slug }).IsUnique();
        builder.Property(a => a.Slug).HasMaxLength(80);
        builder.Property(a => a.Title).HasMaxLength(200);
        builder.HasOne(a => a.Course).WithMany(c => c.Assignments).HasForeignKey(a => a.CourseId);
        builder.HasOne(a => a.LabImage).WithMany().HasForeignKey(a => a.LabImageId).OnDelete(DeleteBehavior.SetNull);
        // Policy, checks and rubric are read and written with their assignment: JSON columns.
        builder.OwnsOne(a => a.LatePolicy, p => p.ToJson());
        builder.OwnsMany(a => a.Checks, c => c.ToJson());
        builder.OwnsMany(a => a.Rubric, r => r.ToJson());
        builder.HasMany(a => a.Extensions).WithOne().HasForeignKey(e => e.AssignmentId);
    }
}

internal sealed class ExtensionConfiguration : IEntityTypeConfiguration<Extension>
{
    public void Configure(EntityTypeBuilder<Extension> builder) =>
        builder.HasIndex(e => new { e.AssignmentId, e.StudentId });
}
