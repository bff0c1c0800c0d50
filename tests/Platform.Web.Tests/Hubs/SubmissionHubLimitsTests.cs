using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Platform.Web.Features.Submissions;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Hubs;

/// <summary>The hub's limits: refused before any bytes are sent, and full-size chunks accepted.</summary>
public sealed class SubmissionHubLimitsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task BeginSubmission_FileTypeNotAccepted_IsRefusedBeforeAnyBytes()
    {
        var (assignmentId, session) = await ArrangeAsync("linus@demo.test");
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);
        var manifest = new List<UploadFileManifest> { new("tool.exe", 4, Convert.ToHexStringLower(SHA256.HashData("MZ\0\0"u8))) };

        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "exe-1", manifest));

        Assert.Contains("files of type '.exe' are not accepted", refused.Message);
    }

    [Fact]
    public async Task UploadChunk_FullSizeChunk_TravelsOverTheJsonProtocol()
    {
        var (assignmentId, session) = await ArrangeAsync("ada@demo.test");
        var content = RandomNumberGenerator.GetBytes(SubmissionUploads.MaxChunkBytes);
        var manifest = new List<UploadFileManifest> { new("image.tar", content.Length, Convert.ToHexStringLower(SHA256.HashData(content))) };
        await using var hub = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, session);

        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "full-chunk-1", manifest);
        var held = await hub.InvokeAsync<long>("UploadChunk", state.UploadId, 0, 0L, content);
        var receipt = await hub.InvokeAsync<SubmissionReceipt>("CompleteSubmission", state.UploadId);

        Assert.Equal(content.Length, held);
        Assert.Equal(content.Length, receipt.TotalBytes);
    }

    private async Task<(Guid AssignmentId, string Session)> ArrangeAsync(string email)
    {
        var demo = await portal.DemoAsync();
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, points: 10);
        using var client = await portal.SignInAsync(email);
        return (assignment.Id, client.SessionCookie!);
    }
}
