using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Data.Entities;

namespace Platform.Data.Configuration;

internal sealed class SubmissionConfiguration : IEntityTypeConfiguration<Submission>
{
    public void Configure(EntityTypeBuilder<Submission> builder)
    {
        // The database, not only the code, guarantees a retried submission never lands twice.
        builder.HasIndex(s => new { s.AssignmentId, s.StudentId, s.ClientSubmissionId }).IsUnique();
        builder.HasIndex(s => new { s.AssignmentId, s.StudentId, s.Version }).IsUnique();
        builder.Property(s => s.ClientSubmissionId).HasMaxLength(100);
        builder.HasOne(s => s.Assignment).WithMany().HasForeignKey(s => s.AssignmentId);
        builder.HasOne(s => s.Student).WithMany().HasForeignKey(s => s.StudentId);
        builder.HasMany(s => s.Files).WithOne().HasForeignKey(f => f.SubmissionId);
        builder.HasOne(s => s.Grade).WithOne(g => g.Submission).HasForeignKey<Grade>(g => g.SubmissionId);
        builder.Ignore(s => s.IsLate);
        builder.Ignore(s => s.DaysLate);
        builder.Ignore(s => s.TotalBytes);
    }
}

internal sealed class SubmissionFileConfiguration : IEntityTypeConfiguration<SubmissionFile>
{
    public void Configure(EntityTypeBuilder<SubmissionFile> builder)
    {
        builder.Property(f => f.Path).HasMaxLength(260);
        builder.Property(f => f.Sha256).HasMaxLength(64);
    }
}

internal sealed class GradeConfiguration : IEntityTypeConfiguration<Grade>
{
    public void Configure(EntityTypeBuilder<Grade> builder)
    {
        builder.HasIndex(g => g.SubmissionId).IsUnique();
        builder.OwnsMany(g => g.RubricScores, r => r.ToJson());
        builder.Ignore(g => g.Score);
        builder.Ignore(g => g.IsReleased);
    }
}

internal sealed class PendingUploadConfiguration : IEntityTypeConfiguration<PendingUpload>
{
    public void Configure(EntityTypeBuilder<PendingUpload> builder)
    {
        builder.HasIndex(u => new { u.AssignmentId, u.StudentId, u.ClientSubmissionId }).IsUnique();
        builder.OwnsMany(u => u.Files, f => f.ToJson());
    }
}

internal sealed class JobIntentConfiguration : IEntityTypeConfiguration<JobIntent>
{
    public void Configure(EntityTypeBuilder<JobIntent> builder)
    {
        builder.HasIndex(j => j.CompletedAt);
        builder.Property(j => j.Kind).HasMaxLength(100);
    }
}

internal sealed class LabVisitConfiguration : IEntityTypeConfiguration<LabVisit>
{
    public void Configure(EntityTypeBuilder<LabVisit> builder) =>
        builder.HasIndex(v => new { v.AssignmentId, v.StudentId }).IsUnique();
}
