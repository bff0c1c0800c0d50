using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Platform.Web.Features.Submissions;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Authorization;

/// <summary>
/// Every method of the submission hub for every actor. Members of the demo school call the demo
/// school's hub; members of the other school call their own school's hub with the demo school's ids
/// (the cross-tenant attempt a browser could make); anonymous callers cannot connect at all.
/// </summary>
public sealed class HubAuthorizationTests(AuthorizationPortal portal) : IClassFixture<AuthorizationPortal>
{
    private static readonly byte[] Work = "echo hello\n"u8.ToArray();
    private static readonly List<UploadFileManifest> Manifest = [new("hello.sh", Work.Length, Convert.ToHexStringLower(SHA256.HashData(Work)))];

    public static TheoryData<string> ActorRows() => EndpointAuthorizationTests.ActorRows();

    [Theory]
    [MemberData(nameof(ActorRows))]
    public async Task BeginSubmission_ByActor_OnlyStudentsOfTheCourse(string actorName)
    {
        var data = await portal.DataAsync();
        var allowed = actorName is "student" or "classmate";
        await using var connection = await ConnectOrRefusedAsync(actorName);
        if (connection is null)
            return;
        var clientId = "hub-matrix-" + Guid.NewGuid().ToString("N");

        var begin = () => connection.InvokeAsync<UploadState>("BeginSubmission", data.AssignmentId, clientId, Manifest);

        if (allowed)
            Assert.NotEqual(Guid.Empty, (await begin()).UploadId);
        else
            await Assert.ThrowsAsync<HubException>(begin);
        Assert.Equal(allowed, await PendingExistsAsync(clientId));
    }

    [Theory]
    [MemberData(nameof(ActorRows))]
    public async Task BeginSubmission_OtherSchoolsAssignment_RefusedForEveryone(string actorName)
    {
        var data = await portal.DataAsync();
        await using var connection = await ConnectOrRefusedAsync(actorName);
        if (connection is null)
            return;
        var clientId = "hub-cross-" + Guid.NewGuid().ToString("N");
        // Demo actors name the other school's assignment; the other school's actors name the demo one.
        var foreign = IsOtherSchool(actorName) ? data.AssignmentId : data.Other.AssignmentId;

        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<UploadState>("BeginSubmission", foreign, clientId, Manifest));

        Assert.False(await PendingExistsAsync(clientId));
    }

    [Theory]
    [MemberData(nameof(ActorRows))]
    public async Task UploadChunk_IntoTheStudentsUpload_OnlyTheStudent(string actorName)
    {
        var (uploadId, clientId) = await StudentBeginsAsync();
        await using var connection = await ConnectOrRefusedAsync(actorName);
        if (connection is null)
        {
            Assert.Equal(0, await HeldBytesAsync(clientId));
            return;
        }

        var append = () => connection.InvokeAsync<long>("UploadChunk", uploadId, 0, 0L, Work);

        if (actorName == "student")
            Assert.Equal(Work.Length, await append());
        else
            await Assert.ThrowsAsync<HubException>(append);
        Assert.Equal(actorName == "student" ? Work.Length : 0, await HeldBytesAsync(clientId));
    }

    [Theory]
    [MemberData(nameof(ActorRows))]
    public async Task CompleteSubmission_OfTheStudentsUpload_OnlyTheStudent(string actorName)
    {
        var (uploadId, clientId) = await StudentBeginsAsync();
        await using (var student = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, await portal.SessionOfAsync(Actors.Student)))
            await student.InvokeAsync<long>("UploadChunk", uploadId, 0, 0L, Work);
        await using var connection = await ConnectOrRefusedAsync(actorName);
        if (connection is not null)
        {
            var complete = () => connection.InvokeAsync<SubmissionReceipt>("CompleteSubmission", uploadId);
            if (actorName == "student")
                Assert.NotEqual(Guid.Empty, (await complete()).SubmissionId);
            else
                await Assert.ThrowsAsync<HubException>(complete);
        }

        var landed = await portal.WithDbAsync(db => db.Submissions.IgnoreQueryFilters().AnyAsync(s => s.ClientSubmissionId == clientId));
        Assert.Equal(actorName == "student", landed);
    }

    [Theory]
    [MemberData(nameof(ActorRows))]
    public async Task WatchAssignment_ByActor_OnlyGradingStaff(string actorName)
    {
        var data = await portal.DataAsync();
        var allowed = actorName is "grader" or "teacher" or "school-admin";
        await using var connection = await ConnectOrRefusedAsync(actorName);
        if (connection is null)
            return;
        var home = IsOtherSchool(actorName) ? data.Other.AssignmentId : data.AssignmentId;
        var foreign = IsOtherSchool(actorName) ? data.AssignmentId : data.Other.AssignmentId;

        if (allowed)
            await connection.InvokeAsync("WatchAssignment", home);
        else if (!IsOtherSchool(actorName))
            await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("WatchAssignment", home));
        // Another school's assignment is never watchable, whoever asks.
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("WatchAssignment", foreign));
    }

    private static bool IsOtherSchool(string actorName) => Actors.Named(actorName).Tenant == OtherSchool.Slug;

    /// <summary>
    /// The actor's connection to their school's hub (the demo school's for platform admins), or null
    /// when it was refused as it must be: without a session of that school there is no connection.
    /// </summary>
    private async Task<HubConnection?> ConnectOrRefusedAsync(string actorName)
    {
        var actor = Actors.Named(actorName);
        var session = await portal.SessionOfAsync(actor);
        var mayConnect = actor.Tenant is not null;
        try
        {
            var connection = await HubClient.ConnectAsync(portal.Server, actor.Tenant ?? PortalFactory.Demo, session);
            Assert.True(mayConnect, $"{actorName} connected to the demo school's hub");
            return connection;
        }
        catch (HttpRequestException e)
        {
            Assert.False(mayConnect, $"{actorName} could not connect: {e.Message}");
            Assert.True(e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"Got {e.StatusCode}");
            return null;
        }
    }

    /// <summary>The demo student starts an upload of their own; returns its id and the client-chosen id.</summary>
    private async Task<(Guid UploadId, string ClientId)> StudentBeginsAsync()
    {
        var data = await portal.DataAsync();
        var clientId = "hub-owner-" + Guid.NewGuid().ToString("N");
        await using var student = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, await portal.SessionOfAsync(Actors.Student));
        var state = await student.InvokeAsync<UploadState>("BeginSubmission", data.AssignmentId, clientId, Manifest);
        return (state.UploadId, clientId);
    }

    /// <summary>What the portal holds of the student's upload, as the student's own resume sees it.</summary>
    private async Task<long> HeldBytesAsync(string clientId)
    {
        var data = await portal.DataAsync();
        await using var student = await HubClient.ConnectAsync(portal.Server, PortalFactory.Demo, await portal.SessionOfAsync(Actors.Student));
        var state = await student.InvokeAsync<UploadState>("BeginSubmission", data.AssignmentId, clientId, Manifest);
        return state.ReceivedBytes.Single();
    }

    private Task<bool> PendingExistsAsync(string clientId) =>
        portal.WithDbAsync(db => db.PendingUploads.IgnoreQueryFilters().AnyAsync(u => u.ClientSubmissionId == clientId));
}
