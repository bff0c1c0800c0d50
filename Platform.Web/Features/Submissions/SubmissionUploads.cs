using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Storage;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Submissions;

public sealed record UploadFileManifest(string Path, long Size, string Sha256);

/// <summary>Where an upload stands: what the server holds of each file, or the receipt once it landed.</summary>
public sealed record UploadState(Guid UploadId, IReadOnlyList<long> ReceivedBytes, SubmissionReceipt? Receipt);

/// <summary>
/// Chunked, resumable submission uploads for the lab's hub. The client names the submission; after a
/// dropped connection it calls Begin again with the same id and continues from the bytes the server
/// reports, and Complete of an already completed id returns the first receipt.
/// </summary>
public sealed class SubmissionUploads(
    IDbContextFactory<PlatformDbContext> contexts,
    CourseAccess access,
    CurrentUser user,
    SubmissionService submissions,
    UploadStaging staging,
    IOptions<SubmissionOptions> options,
    TimeProvider clock,
    ILogger<SubmissionUploads> logger)
{
    public const int MaxChunkBytes = 1024 * 1024;

    public async Task<UploadState> BeginAsync(Guid assignmentId, string clientSubmissionId, IReadOnlyList<UploadFileManifest> files, CancellationToken cancellationToken)
    {
        var studentId = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var assignment = await db.Assignments.Include(a => a.Extensions).SingleOrDefaultAsync(a => a.Id == assignmentId, cancellationToken)
            ?? throw new NotFoundException("There is no such assignment.");
        await access.RequireAsync(assignment.CourseId, CourseOperations.Submit);

        var done = await SubmissionService.FindAsync(db, assignmentId, studentId, clientSubmissionId, cancellationToken);
        if (done is not null)
            return new UploadState(Guid.Empty, done.Files.Select(f => f.Size).ToList(), SubmissionService.Receipt(done, wasDuplicate: true));

        SubmissionService.EnsureAccepting(assignment, studentId, clock.GetUtcNow());
        ValidateManifest(files);

        var pending = await db.PendingUploads.SingleOrDefaultAsync(
            u => u.AssignmentId == assignmentId && u.StudentId == studentId && u.ClientSubmissionId == clientSubmissionId, cancellationToken);
        if (pending is null)
        {
            pending = new PendingUpload(assignment, studentId, clientSubmissionId,
                files.Select(f => new PendingUploadFile { Path = SubmissionFileNames.Normalize(f.Path)!, Size = f.Size, Sha256 = f.Sha256.ToLowerInvariant() }));
            db.PendingUploads.Add(pending);
            await db.SaveChangesAsync(cancellationToken);
        }
        else if (!SameManifest(pending, files))
        {
            throw new SubmissionRejectedException("This submission id was already used for different files; start a new submission.");
        }
        return new UploadState(pending.Id, pending.Files.Select((_, i) => staging.Length(pending.Id, i)).ToList(), null);
    }

    /// <summary>Appends a chunk at <paramref name="offset"/>; a chunk the server already has is skipped. Returns the bytes held.</summary>
    public async Task<long> AppendAsync(Guid uploadId, int fileIndex, long offset, byte[] data, CancellationToken cancellationToken)
    {
        var pending = await FindOwnAsync(uploadId, cancellationToken);
        if (fileIndex < 0 || fileIndex >= pending.Files.Count)
            throw new SubmissionRejectedException("No such file in this submission.");
        if (data.Length > MaxChunkBytes)
            throw new SubmissionRejectedException($"A chunk holds at most {MaxChunkBytes} bytes.");
        var held = staging.Length(uploadId, fileIndex);
        if (offset + data.Length <= held)
            return held;
        if (offset != held)
            throw new SubmissionRejectedException($"Expected the chunk at byte {held}, got one at {offset}; resume from {held}.");
        if (held + data.Length > pending.Files[fileIndex].Size)
            throw new SubmissionRejectedException($"'{pending.Files[fileIndex].Path}' is longer than its declared {pending.Files[fileIndex].Size} bytes.");
        try
        {
            return await staging.AppendAsync(uploadId, fileIndex, data, cancellationToken);
        }
        catch (IOException e) when (DiskFull.Is(e))
        {
            logger.LogCritical(e, "The upload staging area is full; lab submissions are being refused");
            throw new SubmissionRejectedException($"The portal's storage is full; the upload stopped at byte {held} and nothing of this chunk was kept. Try again in a while, and tell your teacher if it persists.");
        }
    }

    public async Task<SubmissionReceipt> CompleteAsync(Guid uploadId, CancellationToken cancellationToken)
    {
        var pending = await FindOwnAsync(uploadId, cancellationToken);
        // A repeated Complete (its first answer lost with the connection) gets the first receipt.
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var done = await SubmissionService.FindAsync(db, pending.AssignmentId, pending.StudentId, pending.ClientSubmissionId, cancellationToken);
            if (done is not null)
                return SubmissionService.Receipt(done, wasDuplicate: true);
        }
        for (var i = 0; i < pending.Files.Count; i++)
        {
            var file = pending.Files[i];
            var held = staging.Length(uploadId, i);
            if (held != file.Size)
                throw new SubmissionRejectedException($"'{file.Path}' is incomplete: {held} of {file.Size} bytes arrived; resume the upload.");
            await using var stream = staging.OpenRead(uploadId, i);
            var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            if (hash != file.Sha256)
            {
                staging.Discard(uploadId, i);
                throw new SubmissionRejectedException($"'{file.Path}' arrived damaged (its SHA-256 does not match); send it again.");
            }
        }

        var receipt = await submissions.SubmitAsync(pending.AssignmentId, pending.ClientSubmissionId,
            pending.Files.Select((f, i) => new IncomingFile(f.Path, () => staging.OpenRead(uploadId, i))).ToList(),
            SubmissionSource.LabMachine, cancellationToken);

        // The upload's row stays until the cleanup job's cut-off, so a repeated Complete still finds it;
        // its bytes are in the file store now.
        staging.DiscardAll(uploadId);
        return receipt;
    }

    private async Task<PendingUpload> FindOwnAsync(Guid uploadId, CancellationToken cancellationToken)
    {
        var studentId = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.PendingUploads.AsNoTracking().SingleOrDefaultAsync(u => u.Id == uploadId && u.StudentId == studentId, cancellationToken)
            ?? throw new NotFoundException("There is no such upload in progress; begin the submission again.");
    }

    private void ValidateManifest(IReadOnlyList<UploadFileManifest> files)
    {
        var limits = options.Value;
        // The same rules as the upload form, before a single byte is sent.
        SubmissionService.CheckFileNames(files.Select(f => f.Path).ToList(), limits);
        if (files.Any(f => f.Size < 0) || files.Sum(f => f.Size) > limits.MaxTotalBytes)
            throw new SubmissionRejectedException(SubmissionService.TooLargeMessage(limits));
        foreach (var file in files.Where(f => f.Sha256.Length != 64 || !f.Sha256.All(Uri.IsHexDigit)))
            throw new SubmissionRejectedException($"'{file.Path}' needs its SHA-256 as 64 hex digits.");
    }

    private static bool SameManifest(PendingUpload pending, IReadOnlyList<UploadFileManifest> files) =>
        pending.Files.Count == files.Count
        && pending.Files.Zip(files).All(p => p.First.Path == SubmissionFileNames.Normalize(p.Second.Path)
            && p.First.Size == p.Second.Size && p.First.Sha256 == p.Second.Sha256.ToLowerInvariant());
}
