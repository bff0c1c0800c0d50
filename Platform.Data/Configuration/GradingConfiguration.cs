using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Platform.Data.Entities;

namespace Platform.Data.Configuration;

internal sealed class AutogradeRunConfiguration : IEntityTypeConfiguration<AutogradeRun>
{
    public void Configure(EntityTypeBuilder<AutogradeRun> builder)
    {
        // One run per submission version, guaranteed by the database: enqueuing twice cannot make two.
        builder.HasIndex(r => r.SubmissionId).IsUnique();
        builder.HasIndex(r => r.AssignmentId);
        builder.HasOne<Submission>().WithMany().HasForeignKey(r => r.SubmissionId);
        builder.Property(r => r.Summary).HasMaxLength(2000);
        builder.OwnsMany(r => r.Results, c => c.ToJson());
        builder.Ignore(r => r.IsFinished);
    }
}

internal sealed class FileCommentConfiguration : IEntityTypeConfiguration<FileComment>
{
    public void Configure(EntityTypeBuilder<FileComment> builder)
    {
        builder.HasIndex(c => c.SubmissionId);
        builder.HasOne<Submission>().WithMany().HasForeignKey(c => c.SubmissionId);
        builder.HasOne(c => c.Author).WithMany().HasForeignKey(c => c.AuthorId);
        builder.Property(c => c.Body).HasMaxLength(4000);
    }
}

internal sealed class RegradeRequestConfiguration : IEntityTypeConfiguration<RegradeRequest>
{
    public void Configure(EntityTypeBuilder<RegradeRequest> builder)
    {
        builder.HasIndex(r => r.SubmissionId);
        builder.HasOne<Submission>().WithMany().HasForeignKey(r => r.SubmissionId);
        builder.Property(r => r.Reason).HasMaxLength(2000);
        builder.Property(r => r.Response).HasMaxLength(2000);
    }
}
