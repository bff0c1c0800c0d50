using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Platform.Data.Entities;
using Platform.Web.Features.Submissions;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

/// <summary>
/// Hostile submissions from a student: names that climb out of the submission (through the lab's hub
/// as through the form), a manifest that lies about sizes, and a tar bomb. The portal never unpacks a
/// student's archive: a bomb is stored and served as the bytes that were sent, counted at their size.
/// </summary>
public sealed class SubmissionAttackTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Theory]
    [InlineData("../x.c")]
    [InlineData("/etc/passwd.txt")]
    [InlineData("a/../../x.c")]
    [InlineData("..\\..\\x.c")]
    [InlineData("C:\\Windows\\x.c")]
    [InlineData("src/./../../x.c")]
    [InlineData("bad\u0000name.c")]
    [InlineData("bad\nname.c")]
    public async Task HubBegin_PathEscapingName_IsRefusedBeforeAnyBytes(string name)
    {
        var (assignmentId, student) = await ArrangeAsync();
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, student.SessionCookie);
        var clientId = "escape-" + Guid.NewGuid().ToString("N");

        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, clientId,
            new List<UploadFileManifest> { new(name, 1, Convert.ToHexStringLower(SHA256.HashData("x"u8))) }));

        Assert.Contains("is not a valid file name", refused.Message);
        Assert.False(await portal.WithDbAsync(db => db.PendingUploads.IgnoreQueryFilters().AnyAsync(u => u.ClientSubmissionId == clientId)));
    }

    [Theory]
    [InlineData("..\\..\\x.c")]
    [InlineData("C:\\x.c")]
    [InlineData("src/./../../x.c")]
    public async Task Form_PathEscapingName_IsRefusedAndStoresNothing(string name)
    {
        var (assignmentId, student) = await ArrangeAsync();

        var response = await student.SubmitFilesAsync(PortalFactory.Demo, assignmentId, "escape-form", (name, "int x;\n"u8.ToArray()));

        Assert.Contains("is not a valid file name", PortalClient.QueryOf(response, "error"));
        Assert.False(await portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters().AnyAsync(s => s.AssignmentId == assignmentId)));
    }

    [Fact]
    public async Task HubUpload_MoreBytesThanDeclared_IsRefusedAndHoldsNothing()
    {
        var (assignmentId, student) = await ArrangeAsync();
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, student.SessionCookie);
        var declared = "0123456789"u8.ToArray();
        var manifest = new List<UploadFileManifest> { new("small.txt", declared.Length, Convert.ToHexStringLower(SHA256.HashData(declared))) };
        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "liar-1", manifest);

        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<long>("UploadChunk", state.UploadId, 0, 0L, new byte[SubmissionUploads.MaxChunkBytes]));

        Assert.Contains("longer than its declared 10 bytes", refused.Message);
        var resumed = await hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "liar-1", manifest);
        Assert.Equal(0, resumed.ReceivedBytes.Single());
    }

    [Fact]
    public async Task HubBegin_ManifestOverTheSizeLimit_IsRefusedBeforeAnyBytes()
    {
        var (assignmentId, student) = await ArrangeAsync();
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, student.SessionCookie);
        var hash = Convert.ToHexStringLower(SHA256.HashData("x"u8));

        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "huge-1",
            new List<UploadFileManifest> { new("a.tar", 15L << 20, hash), new("b.tar", 15L << 20, hash) }));

        Assert.Contains("larger than", refused.Message);
    }

    [Fact]
    public async Task Form_TarBomb_IsStoredAsSentNeverUnpacked()
    {
        var (assignmentId, student) = await ArrangeAsync();
        var bomb = TarGzBomb(unpackedBytes: 512L << 20);
        Assert.True(bomb.Length < 1 << 20, $"The bomb is {bomb.Length} bytes");

        var response = await student.SubmitFilesAsync(PortalFactory.Demo, assignmentId, "tar-bomb-1", ("work.tar.gz", bomb));

        Assert.NotNull(PortalClient.QueryOf(response, "submitted"));
        var file = await portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters().Where(s => s.AssignmentId == assignmentId).SelectMany(s => s.Files).SingleAsync());
        Assert.Equal(bomb.Length, file.Size);
        var submissionId = await portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters().Where(s => s.AssignmentId == assignmentId).Select(s => s.Id).SingleAsync());
        var download = await student.GetAsync($"t/demo/submissions/{submissionId}/files/{file.Id}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/octet-stream", download.Content.Headers.ContentType?.MediaType);
        Assert.Empty(download.Content.Headers.ContentEncoding);
        Assert.Equal(bomb, await download.Content.ReadAsByteArrayAsync());
    }

    /// <summary>A .tar.gz of one file of zeros: a few hundred KiB that would unpack to <paramref name="unpackedBytes"/>.</summary>
    private static byte[] TarGzBomb(long unpackedBytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../../zeros.bin") { DataStream = new ZeroStream(unpackedBytes) });
        }
        return output.ToArray();
    }

    private async Task<(Guid AssignmentId, PortalClient Student)> ArrangeAsync()
    {
        var demo = await portal.DemoAsync();
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, points: 10);
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        return (assignment.Id, await portal.SignInAsync(student.Email!));
    }

    /// <summary>Zeros, as many as asked, without holding them in memory (seekable: the tar writer asks its length).</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
