using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Vm.Client.Submission;

// The hub's contract (Platform.Web/Hubs/SubmissionHub.cs), as JSON.
public sealed record UploadFileManifest(string Path, long Size, string Sha256);
public sealed record UploadState(Guid UploadId, IReadOnlyList<long> ReceivedBytes, SubmissionReceipt? Receipt);
public sealed record SubmissionReceipt(Guid SubmissionId, int Version, bool IsLate, bool WasDuplicate, int FileCount, long TotalBytes);

/// <summary>The portal refused the submission (late, too large, wrong type...): the message is for the student.</summary>
public sealed class SubmissionRefusedException(string message) : Exception(message);

/// <summary>
/// Streams a submission to the portal's SubmissionHub in chunks. The id is chosen here, once per
/// `submit`, and every retry reuses it: after a dropped connection BeginSubmission says how much of
/// each file the portal holds (upload resumes there) or returns the receipt of the submission that
/// already landed, so a retry never makes a second one.
/// </summary>
public sealed class SubmissionUploader(Uri hubUrl, Guid assignmentId)
{
    public const int ChunkBytes = 256 * 1024;
    public const int Attempts = 6;

    public async Task<SubmissionReceipt> UploadAsync(SubmitRequest request, Action<string> progress, CancellationToken cancel)
    {
        var clientId = Guid.NewGuid().ToString("N");
        var manifest = request.Files.Select(f => new UploadFileManifest(f.Path, f.Content.Length, Convert.ToHexStringLower(SHA256.HashData(f.Content)))).ToList();
        for (int attempt = 1; ; attempt++)
        {
            await using var connection = new HubConnectionBuilder().WithUrl(hubUrl).Build();
            try
            {
                await connection.StartAsync(cancel);
                return await SendAsync(connection, clientId, request, manifest, progress, cancel);
            }
            catch (HubException e)
            {
                // The hub's refusals arrive as "An unexpected error occurred invoking 'X' on the server. HubException: message".
                var text = e.Message;
                int at = text.IndexOf("HubException: ", StringComparison.Ordinal);
                throw new SubmissionRefusedException(at >= 0 ? text[(at + 14)..] : text);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                if (attempt >= Attempts)
                    throw new SubmissionRefusedException($"The portal could not be reached ({e.Message}); your files are still in the machine: run submit again.");
                progress($"connection lost ({e.GetType().Name}); retrying ({attempt}/{Attempts - 1})");
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(8, attempt)), cancel);
            }
        }
    }

    private async Task<SubmissionReceipt> SendAsync(HubConnection connection, string clientId, SubmitRequest request,
        List<UploadFileManifest> manifest, Action<string> progress, CancellationToken cancel)
    {
        var state = await connection.InvokeAsync<UploadState>("BeginSubmission", assignmentId, clientId, manifest, cancel);
        if (state.Receipt is { } landed)
            return landed;
        long total = manifest.Sum(f => f.Size), sent = state.ReceivedBytes.Sum();
        for (int i = 0; i < request.Files.Count; i++)
        {
            var content = request.Files[i].Content;
            for (long offset = state.ReceivedBytes[i]; offset < content.Length;)
            {
                int n = (int)Math.Min(ChunkBytes, content.Length - offset);
                offset = await connection.InvokeAsync<long>("UploadChunk", state.UploadId, i, offset, content.AsMemory((int)offset, n).ToArray(), cancel);
                sent += n;
                progress($"uploading {sent * 100 / Math.Max(1, total)}% ({sent} of {total} bytes)");
            }
        }
        return await connection.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId, cancel);
    }
}
