using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Features.LabImages;
using Platform.Web.Features.Labs;
using Platform.Web.Tests.Features.Autograding;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Labs;

/// <summary>
/// A lab opened while the portal builds its guest images (its first start, <see cref="GuestImageBootstrap"/>):
/// machine.json says how far the build is and when to ask again, so the page waits and then starts the
/// lab by itself; a build that failed needs a person, and gets no such hint.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class LabWhileGuestImagesBuildTests : IDisposable
{
    private readonly AutogradePortal portal = new() { Settings = { ["LabImages:GuestDirectory"] = "/nonexistent/guest" } };

    public void Dispose() => portal.Dispose();

    [Fact]
    public async Task MachineJson_WhileTheGuestImagesBuild_SaysHowFar_AndWhenToAskAgain_ButNotOnceTheBuildFailed()
    {
        var assignment = await portal.DemoAssignmentAsync("01-files-and-folders");
        using var student = await portal.SignInAsync("student@demo.test");
        var path = $"t/demo/assignments/{assignment.Id}/lab/machine.json";
        var build = portal.Services.GetRequiredService<GuestImageBuildStatus>();

        build.Report("downloading busybox-static:i386");
        var building = await student.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.Conflict, building.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(LabEndpoints.LabRetrySeconds), building.Headers.RetryAfter?.Delta);
        Assert.Contains("Now: downloading busybox-static:i386", await building.Content.ReadAsStringAsync());

        build.Fail("the script exited with 100: E: Unable to locate package busybox-static:i386");
        var failed = await student.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.Conflict, failed.StatusCode);
        Assert.Null(failed.Headers.RetryAfter);
        Assert.Contains("Run scripts/guest/build-guest-images.sh", await failed.Content.ReadAsStringAsync());
    }
}
