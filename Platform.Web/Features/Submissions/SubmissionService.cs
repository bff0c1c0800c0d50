using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Storage;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Submissions;

public sealed record IncomingFile(string Name, Func<Stream> Open);

public sealed record SubmissionReceipt(Guid SubmissionId, int Version, bool IsLate, bool WasDuplicate, int FileCount, long TotalBytes);

/// <summary>
/// Accepts a student's work from any channel (upload form, the lab's hub) under one set of rules:
/// enrolled student, within the late window, within limits, and exactly once per client id.
/// </summary>
public sealed class SubmissionService(
    IDbContextFactory<PlatformDbContext> contexts,
    CourseAccess access,
    CurrentUser user,
    IFileStore files,
    ISubmissionNotifier notifier,
    IOptions<SubmissionOptions> options,
    TimeProvider clock,
    ILogger<SubmissionService> logger)
{
    public async Task<SubmissionReceipt> SubmitAsync(Guid assignmentId, string clientSubmissionId, IReadOnlyList<IncomingFile> incoming,
        SubmissionSource source, CancellationToken cancellationToken = default)
    {
        var studentId = user.RequireId();
        if (string.IsNullOrWhiteSpace(clientSubmissionId) || clientSubmissionId.Length > 100)
            throw new SubmissionRejectedException("The submission id is missing or longer than 100 characters.");

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var assignment = await db.Assignments.Include(a => a.Extensions).SingleOrDefaultAsync(a => a.Id == assignmentId, cancellationToken)
            ?? throw new NotFoundException("There is no such assignment.");
        await access.RequireAsync(assignment.CourseId, CourseOperations.Submit);

        // A retry of a submission that already landed answers with the same receipt, storing nothing.
        var existing = await FindAsync(db, assignmentId, studentId, clientSubmissionId, cancellationToken);
        if (existing is not null)
            return Receipt(existing, wasDuplicate: true);

        var now = clock.GetUtcNow();
        EnsureAccepting(assignment, studentId, now);
        var stored = await StoreFilesAsync(incoming, cancellationToken);

        Submission submission;
        const int MaxVersionAttempts = 16;
        for (var attempt = 1; ; attempt++)
        {
            var version = 1 + (await db.Submissions.Where(s => s.AssignmentId == assignmentId && s.StudentId == studentId)
                .MaxAsync(s => (int?)s.Version, cancellationToken) ?? 0);
            submission = new Submission(assignment, studentId, version, clientSubmissionId, source, now, stored);
            db.Submissions.Add(submission);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                break;
            }
            catch (DbUpdateException)
            {
                // Two copies of one retry raced: the unique index let one through; answer with that one.
                await using var fresh = await contexts.CreateDbContextAsync(cancellationToken);
                var winner = await FindAsync(fresh, assignmentId, studentId, clientSubmissionId, cancellationToken);
                if (winner is not null)
                    return Receipt(winner, wasDuplicate: true);
                // Another submission of the same student (two lab tabs, the form and the lab) took this
                // version number at the same moment: number this one after it. Each round lands at least
                // one of the racers, and a random pause keeps the losers from meeting again in lockstep.
                if (attempt == MaxVersionAttempts)
                    throw;
                db.ChangeTracker.Clear();
                db.Attach(assignment);
                await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken);
            }
        }

        await notifier.SubmissionReceivedAsync(assignment.TenantId, assignment.Id, submission.Id, cancellationToken);
        return Receipt(submission, wasDuplicate: false);
    }

    /// <summary>Refuses work after the late window closes; the message says when it closed.</summary>
    internal static void EnsureAccepting(Assignment assignment, Guid studentId, DateTimeOffset now)
    {
        var due = assignment.DueFor(studentId);
        var closes = due.AddDays(assignment.LatePolicy.AcceptDaysLate);
        if (now > closes)
            throw new SubmissionRejectedException(assignment.LatePolicy.AcceptDaysLate == 0
                ? $"This assignment was due {due:yyyy-MM-dd HH:mm} UTC and takes no late work."
                : $"This assignment stopped taking work on {closes:yyyy-MM-dd HH:mm} UTC ({assignment.LatePolicy.AcceptDaysLate} days after it was due).");
    }

    private async Task<List<SubmissionFile>> StoreFilesAsync(IReadOnlyList<IncomingFile> incoming, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        CheckFileNames(incoming.Select(f => f.Name).ToList(), limits);

        var stored = new List<SubmissionFile>();
        long remaining = limits.MaxTotalBytes;
        foreach (var file in incoming)
        {
            await using var stream = file.Open();
            StoredBlob blob;
            try
            {
                blob = await files.PutAsync(stream, remaining, cancellationToken);
            }
            catch (BlobTooLargeException)
            {
                throw new SubmissionRejectedException(TooLargeMessage(limits));
            }
            catch (IOException e) when (DiskFull.Is(e))
            {
                logger.LogCritical(e, "The submission file store is full; submissions are being refused");
                throw new SubmissionRejectedException("The portal's storage is full; nothing was saved. Try again in a while, and tell your teacher if it persists.");
            }
            remaining -= blob.Size;
            stored.Add(new SubmissionFile(SubmissionFileNames.Normalize(file.Name)!, blob.Size, blob.Key, blob.Key));
        }
        return stored;
    }

    public static string TooLargeMessage(SubmissionOptions limits) =>
        $"The submission is larger than the limit of {limits.MaxTotalBytes / (1024 * 1024)} MiB.";

    /// <summary>
    /// The rules every channel applies to a submission's file list before taking any bytes: how many,
    /// safe relative names, no name twice, accepted types.
    /// </summary>
    internal static void CheckFileNames(IReadOnlyList<string> names, SubmissionOptions limits)
    {
        if (names.Count == 0)
            throw new SubmissionRejectedException("Choose at least one file to submit.");
        if (names.Count > limits.MaxFiles)
            throw new SubmissionRejectedException($"A submission holds at most {limits.MaxFiles} files; this one has {names.Count}.");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var path = SubmissionFileNames.Normalize(name)
                ?? throw new SubmissionRejectedException($"'{name}' is not a valid file name (no absolute paths or '..').");
            if (!seen.Add(path))
                throw new SubmissionRejectedException($"'{path}' appears twice.");
            var extension = Path.GetExtension(path).ToLowerInvariant();
            if (limits.AllowedExtensions.Count > 0 && !limits.AllowedExtensions.Contains(extension))
                throw new SubmissionRejectedException($"'{path}': files of type '{extension}' are not accepted. Accepted: {string.Join(" ", limits.AllowedExtensions.Where(e => e.Length > 0))} and names without an extension.");
        }
    }

    /// <summary>The submission a client id already landed, if any: how every channel answers a retry.</summary>
    internal static Task<Submission?> FindAsync(PlatformDbContext db, Guid assignmentId, Guid studentId, string clientId, CancellationToken cancellationToken) =>
        db.Submissions.Include(s => s.Files).AsNoTracking()
            .SingleOrDefaultAsync(s => s.AssignmentId == assignmentId && s.StudentId == studentId && s.ClientSubmissionId == clientId, cancellationToken);

    internal static SubmissionReceipt Receipt(Submission s, bool wasDuplicate) =>
        new(s.Id, s.Version, s.IsLate, wasDuplicate, s.Files.Count, s.TotalBytes);
}
