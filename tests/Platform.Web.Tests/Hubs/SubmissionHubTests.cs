using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Platform.Data.Entities;
using Platform.Web.Features.Submissions;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Hubs;

/// <summary>The lab's resumable upload over a real SignalR client (long polling over the TestServer).</summary>
public sealed class SubmissionHubTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const int Chunk = 64 * 1024;

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private async Task<(PlatformUser Student, Assignment Assignment, string Session)> ArrangeAsync()
    {
        var demo = await portal.DemoAsync();
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId);
        using var client = await portal.SignInAsync(student.Email!);
        return (student, assignment, client.SessionCookie!);
    }

    private static async Task SendAsync(HubConnection hub, Guid uploadId, int fileIndex, byte[] content, long from, long until)
    {
        for (var offset = from; offset < until; offset += Chunk)
        {
            var length = (int)Math.Min(Chunk, until - offset);
            var held = await hub.InvokeAsync<long>("UploadChunk", uploadId, fileIndex, offset, content.AsSpan((int)offset, length).ToArray());
            Assert.Equal(offset + length, held);
        }
    }

    private Task<List<Submission>> SubmissionsOfAsync(Guid studentId) =>
        portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters().Include(s => s.Files).Where(s => s.StudentId == studentId).ToListAsync());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChunkedUpload_OfTwoFiles_LandsWithTheirHashes(bool webSockets)
    {
        var (student, assignment, session) = await ArrangeAsync();
        var big = Bytes(3 * Chunk + 100, 1);
        var small = Bytes(10, 2);
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session, webSockets);

        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "hub-1",
            new List<UploadFileManifest> { new("src/big.bin.txt", big.Length, Sha(big)), new("notes.md", small.Length, Sha(small)) });
        Assert.Equal([0L, 0L], state.ReceivedBytes);
        await SendAsync(hub, state.UploadId, 0, big, 0, big.Length);
        await SendAsync(hub, state.UploadId, 1, small, 0, small.Length);
        var receipt = await hub.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId);

        Assert.Equal(1, receipt.Version);
        Assert.Equal(2, receipt.FileCount);
        Assert.False(receipt.WasDuplicate);
        var submission = Assert.Single(await SubmissionsOfAsync(student.Id));
        Assert.Equal(SubmissionSource.LabMachine, submission.Source);
        Assert.Equal(Sha(big), submission.Files.Single(f => f.Path == "src/big.bin.txt").Sha256);
        Assert.Equal(Sha(small), submission.Files.Single(f => f.Path == "notes.md").Sha256);
        Assert.Equal(big.Length + small.Length, submission.TotalBytes);
    }

    [Fact]
    public async Task DroppedConnection_ResumesFromServersBytes_AndLandsOnce()
    {
        var (student, assignment, session) = await ArrangeAsync();
        var content = Bytes(4 * Chunk, 3);
        var manifest = new List<UploadFileManifest> { new("work.tar", content.Length, Sha(content)) };

        await using (var first = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session))
        {
            var state = await first.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "resume-1", manifest);
            await SendAsync(first, state.UploadId, 0, content, 0, 2 * Chunk);
        } // The lab's network drops here.

        await using var second = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);
        var resumed = await second.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "resume-1", manifest);
        Assert.Equal(2L * Chunk, resumed.ReceivedBytes[0]);
        // A chunk the server already holds is skipped, not appended twice.
        Assert.Equal(2L * Chunk, await second.InvokeAsync<long>("UploadChunk", resumed.UploadId, 0, (long)Chunk, content.AsSpan(Chunk, Chunk).ToArray()));
        await SendAsync(second, resumed.UploadId, 0, content, resumed.ReceivedBytes[0], content.Length);
        var receipt = await second.InvokeAsync<SubmissionReceipt>("CompleteSubmission", resumed.UploadId);

        var submission = Assert.Single(await SubmissionsOfAsync(student.Id));
        Assert.Equal(receipt.SubmissionId, submission.Id);
        Assert.Equal(Sha(content), Assert.Single(submission.Files).Sha256);
        // Begin after landing answers with the receipt: the lab learns it is done.
        var after = await second.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "resume-1", manifest);
        Assert.Equal(receipt.SubmissionId, after.Receipt?.SubmissionId);
    }

    [Fact]
    public async Task CompleteSubmission_CalledTwice_ReturnsTheSameReceipt()
    {
        var (student, assignment, session) = await ArrangeAsync();
        var content = Bytes(1000, 4);
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);
        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "twice-1",
            new List<UploadFileManifest> { new("a.txt", content.Length, Sha(content)) });
        await SendAsync(hub, state.UploadId, 0, content, 0, content.Length);

        var first = await hub.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId);
        var second = await hub.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId);

        Assert.Equal(first.SubmissionId, second.SubmissionId);
        Assert.Equal(first.Version, second.Version);
        Assert.Single(await SubmissionsOfAsync(student.Id));
    }

    [Fact]
    public async Task DamagedChunk_CompleteNamesTheFile_AndNothingLands()
    {
        var (student, assignment, session) = await ArrangeAsync();
        var content = Bytes(2 * Chunk, 5);
        var damaged = (byte[])content.Clone();
        damaged[Chunk + 7] ^= 0xff;
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);
        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "damaged-1",
            new List<UploadFileManifest> { new("lab/report.txt", content.Length, Sha(content)) });
        await SendAsync(hub, state.UploadId, 0, damaged, 0, damaged.Length);

        var error = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId));

        Assert.Contains("'lab/report.txt' arrived damaged", error.Message);
        Assert.Empty(await SubmissionsOfAsync(student.Id));
        // The damaged file was dropped: the lab sends it again from byte 0.
        var again = await hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "damaged-1",
            new List<UploadFileManifest> { new("lab/report.txt", content.Length, Sha(content)) });
        Assert.Equal(0L, again.ReceivedBytes[0]);
    }

    [Fact]
    public async Task WatchAssignment_AsGrader_ReceivesSubmissionReceived()
    {
        var (student, assignment, session) = await ArrangeAsync();
        using var grader = await portal.SignInAsync("grader@demo.test");
        await using var watcher = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, grader.SessionCookie);
        var received = Channel.CreateUnbounded<(Guid Assignment, Guid Submission)>();
        watcher.On<Guid, Guid>("SubmissionReceived", (a, s) => received.Writer.TryWrite((a, s)));
        await watcher.InvokeAsync("WatchAssignment", assignment.Id);

        using var client = portal.ClientWithSession(session);
        await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "watched-1", ("a.c", "int a;\n"u8.ToArray()));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var message = await received.Reader.ReadAsync(timeout.Token);
        var submission = Assert.Single(await SubmissionsOfAsync(student.Id));
        Assert.Equal((assignment.Id, submission.Id), message);
    }

    [Fact]
    public async Task WatchAssignment_AsStudent_IsRefused()
    {
        var (_, assignment, session) = await ArrangeAsync();
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);

        var error = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync("WatchAssignment", assignment.Id));

        Assert.Contains("You may not watch this assignment.", error.Message);
    }

    [Fact]
    public async Task BeginSubmission_WithTraversalPath_IsRefused()
    {
        var (_, assignment, session) = await ArrangeAsync();
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);

        var error = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "trav-1",
            new List<UploadFileManifest> { new("../../etc/x.c", 1, Sha([1])) }));

        Assert.Contains("'../../etc/x.c' is not a valid file name", error.Message);
    }

    [Fact]
    public async Task UploadChunk_IntoAnotherStudentsUpload_IsNotFound()
    {
        var (_, assignment, session) = await ArrangeAsync();
        var (_, _, intruderSession) = await ArrangeAsync();
        var content = Bytes(100, 6);
        await using var owner = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);
        var state = await owner.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "mine-1",
            new List<UploadFileManifest> { new("a.txt", content.Length, Sha(content)) });
        await using var intruder = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, intruderSession);

        var chunk = await Assert.ThrowsAsync<HubException>(() => intruder.InvokeAsync<long>("UploadChunk", state.UploadId, 0, 0L, content));
        var complete = await Assert.ThrowsAsync<HubException>(() => intruder.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId));

        Assert.Contains("There is no such upload in progress", chunk.Message);
        Assert.Contains("There is no such upload in progress", complete.Message);
        var held = await owner.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "mine-1",
            new List<UploadFileManifest> { new("a.txt", content.Length, Sha(content)) });
        Assert.Equal(0L, held.ReceivedBytes[0]);
    }

    [Fact]
    public async Task UploadChunk_AtTheWrongOffset_SaysWhereToResume()
    {
        var (_, assignment, session) = await ArrangeAsync();
        var content = Bytes(3 * Chunk, 7);
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);
        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "gap-1",
            new List<UploadFileManifest> { new("a.txt", content.Length, Sha(content)) });
        await SendAsync(hub, state.UploadId, 0, content, 0, Chunk);

        var error = await Assert.ThrowsAsync<HubException>(() =>
            hub.InvokeAsync<long>("UploadChunk", state.UploadId, 0, 2L * Chunk, content.AsSpan(2 * Chunk, Chunk).ToArray()));

        Assert.Contains($"resume from {Chunk}", error.Message);
    }

    [Fact]
    public async Task BeginSubmission_OverTheSizeLimit_IsRefusedBeforeAnyByte()
    {
        var (_, assignment, session) = await ArrangeAsync();
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);

        var error = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "huge-1",
            new List<UploadFileManifest> { new("disk.img.tar", 21L * 1024 * 1024, new string('a', 64)) }));

        Assert.Contains("larger than the limit of 20 MiB", error.Message);
    }

    [Fact]
    public async Task UploadChunk_OfTheLargestAllowedSize_IsAccepted()
    {
        // The JSON hub protocol carries byte[] as base64: a full chunk is a third larger on the wire.
        var (student, assignment, session) = await ArrangeAsync();
        var content = Bytes(SubmissionUploads.MaxChunkBytes, 8);
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);
        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "full-chunk-1",
            new List<UploadFileManifest> { new("big.tar", content.Length, Sha(content)) });

        var held = await hub.InvokeAsync<long>("UploadChunk", state.UploadId, 0, 0L, content);
        var receipt = await hub.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId);

        Assert.Equal(content.Length, held);
        Assert.Equal(Sha(content), Assert.Single(Assert.Single(await SubmissionsOfAsync(student.Id)).Files).Sha256);
        Assert.Equal(1, receipt.Version);
    }

    [Fact]
    public async Task BeginSubmission_SameIdOtherFiles_IsRefused()
    {
        var (_, assignment, session) = await ArrangeAsync();
        var one = Bytes(10, 9);
        var two = Bytes(11, 10);
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);
        await hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "same-id-1", new List<UploadFileManifest> { new("a.txt", one.Length, Sha(one)) });

        var error = await Assert.ThrowsAsync<HubException>(() =>
            hub.InvokeAsync<UploadState>("BeginSubmission", assignment.Id, "same-id-1", new List<UploadFileManifest> { new("a.txt", two.Length, Sha(two)) }));

        Assert.Contains("already used for different files", error.Message);
    }
}
