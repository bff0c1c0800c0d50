using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Platform.Web.Features.Submissions;
using Platform.Web.Hubs;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

/// <summary>A portal allowing two new submissions and eight hub calls a minute per person.</summary>
public sealed class HubLimitedPortal : PortalFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [new("RateLimits:SubmissionsPerMinute", "2"), new("RateLimits:HubCallsPerMinute", "8")];
}

public sealed class HubRateLimitTests(HubLimitedPortal portal) : IClassFixture<HubLimitedPortal>
{
    private static readonly byte[] Work = "int main(void) { return 0; }\n"u8.ToArray();
    private static readonly List<UploadFileManifest> Manifest = [new("main.c", Work.Length, Convert.ToHexStringLower(SHA256.HashData(Work)))];

    [Fact]
    public async Task BeginSubmission_BeyondTheLimit_IsRefusedAndStartsNothing()
    {
        var (assignmentId, hub) = await ArrangeAsync();
        await using var _ = hub;

        await hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "hub-limit-1", Manifest);
        await hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "hub-limit-2", Manifest);
        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "hub-limit-3", Manifest));

        Assert.Contains(HubRateLimitFilter.TooMany, refused.Message);
        var started = await portal.WithDbAsync(db => db.PendingUploads.IgnoreQueryFilters()
            .Where(u => u.AssignmentId == assignmentId).Select(u => u.ClientSubmissionId).OrderBy(id => id).ToListAsync());
        Assert.Equal(["hub-limit-1", "hub-limit-2"], started);
    }

    [Fact]
    public async Task HubCalls_FloodBeyondTheLimit_AreRefusedForThatPersonOnly()
    {
        var (assignmentId, hub) = await ArrangeAsync();
        await using var _ = hub;
        var state = await hub.InvokeAsync<UploadState>("BeginSubmission", assignmentId, "flood-1", Manifest);
        await hub.InvokeAsync<long>("UploadChunk", state.UploadId, 0, 0L, Work);

        // The same chunk again and again: each is cheap to answer, but the calls are counted.
        var answered = 2;
        HubException? refused = null;
        for (var call = 0; call < 20 && refused is null; call++)
        {
            try
            {
                await hub.InvokeAsync<long>("UploadChunk", state.UploadId, 0, 0L, Work);
                answered++;
            }
            catch (HubException e)
            {
                refused = e;
            }
        }

        Assert.Equal(8, answered);
        Assert.Contains(HubRateLimitFilter.TooMany, refused?.Message);
        // Another student is not slowed down by the flood.
        var (otherAssignment, other) = await ArrangeAsync();
        await using var __ = other;
        var theirs = await other.InvokeAsync<UploadState>("BeginSubmission", otherAssignment, "calm-1", Manifest);
        Assert.NotEqual(Guid.Empty, theirs.UploadId);
    }

    /// <summary>A student of their own (limits are per person) connected to the hub, and an assignment of their own.</summary>
    private async Task<(Guid AssignmentId, HubConnection Hub)> ArrangeAsync()
    {
        var demo = await portal.DemoAsync();
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, points: 10);
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, Platform.Data.Entities.CourseRole.Student);
        using var client = await portal.SignInAsync(student.Email!);
        return (assignment.Id, await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, client.SessionCookie));
    }
}
