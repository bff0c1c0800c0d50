using System.Net;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Components;

/// <summary>A refusal or a missing page keeps the person in their school, still signed in.</summary>
public sealed class ErrorPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task RefusedPage_SignedInStudent_StaysSignedInAtTheirSchool()
    {
        var demo = await portal.DemoAsync();
        using var student = await portal.SignInAsync("student@demo.test");

        var response = await student.GetAsync($"t/demo/assignments/{demo.AssignmentIds[0]}/submissions");
        var page = PortalClient.Text(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Not allowed", page);
        Assert.Contains("Demo High School", page);
        Assert.Contains("Sam Student", page);
        Assert.Contains("Sign out", page);
    }

    [Fact]
    public async Task MissingPage_SignedInStudent_SeesNotFoundInTheirSchool()
    {
        using var student = await portal.SignInAsync("student@demo.test");

        var response = await student.GetAsync("t/demo/no-such-page");
        var page = PortalClient.Text(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Not found", page);
        Assert.Contains("Demo High School", page);
    }
}
