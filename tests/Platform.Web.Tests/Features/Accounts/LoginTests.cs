using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.People;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Accounts;

public sealed class LoginTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Login_WithDemoPassword_SetsSessionAndRedirectsIntoTheSchool()
    {
        using var client = portal.CreatePortalClient();

        var response = await client.PostLoginAsync(PortalFactory.Demo, "teacher@demo.test", PortalFactory.Password);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/t/demo", response.Headers.Location!.OriginalString.Replace("http://localhost", ""));
        Assert.NotNull(client.SessionCookie);
    }

    [Fact]
    public async Task Login_WhenPasswordWrong_ShowsErrorAndSetsNoSession()
    {
        var user = await portal.CreateUserAsync(PortalFactory.Demo, null, CourseRole.Student);
        using var client = portal.CreatePortalClient();

        var response = await client.PostLoginAsync(PortalFactory.Demo, user.Email!, "not-the-password");
        var page = PortalClient.Text(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("That email and password do not match an account at this school.", page);
        Assert.Null(client.SessionCookie);
    }

    [Fact]
    public async Task Login_AfterFiveWrongPasswords_SaysLockedOutEvenWithRightPassword()
    {
        var user = await portal.CreateUserAsync(PortalFactory.Demo, null, CourseRole.Student);
        using var client = portal.CreatePortalClient();
        for (var i = 0; i < 5; i++)
            await client.PostLoginAsync(PortalFactory.Demo, user.Email!, "wrong-password-" + i);

        var response = await client.PostLoginAsync(PortalFactory.Demo, user.Email!, PortalFactory.Password);
        var page = PortalClient.Text(await response.Content.ReadAsStringAsync());

        Assert.Contains("This account is locked after too many failed attempts", page);
        Assert.Null(client.SessionCookie);
    }

    [Fact]
    public async Task Login_WithAnotherSchoolsAccount_IsRefused()
    {
        await portal.OtherSchoolAsync();
        using var client = portal.CreatePortalClient();

        // teacher@other.test exists only at "other": the demo school's login does not know it.
        var response = await client.PostLoginAsync(PortalFactory.Demo, "teacher@other.test", PortalFactory.Password);

        Assert.Contains("do not match an account at this school", PortalClient.Text(await response.Content.ReadAsStringAsync()));
        Assert.Null(client.SessionCookie);
    }

    [Theory]
    [InlineData("https://evil.example/steal")]
    [InlineData("//evil.example/steal")]
    public async Task Login_WithForeignReturnUrl_StaysInThePortal(string returnUrl)
    {
        using var client = portal.CreatePortalClient();

        var response = await client.PostLoginAsync(PortalFactory.Demo, "grader@demo.test", PortalFactory.Password, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        // The raw header, as a browser reads it (browsers treat a leading "\\\\" like "//").
        var location = response.Headers.GetValues("Location").Single();
        Assert.DoesNotContain("evil.example", location);
    }

    // Browsers read a leading "\\\\" like "//": it must not leave the portal.
    [Fact]
    public async Task Login_WithBackslashReturnUrl_StaysInThePortal()
    {
        using var client = portal.CreatePortalClient();

        var response = await client.PostLoginAsync(PortalFactory.Demo, "grader@demo.test", PortalFactory.Password, "\\\\evil.example/steal");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("evil.example", response.Headers.GetValues("Location").Single());
    }

    [Fact]
    public async Task Logout_WithGet_DoesNotSignOut()
    {
        using var client = await portal.SignInAsync("ada@demo.test");

        var response = await client.GetAsync("t/demo/account/logout");
        var after = await client.GetAsync("t/demo/account/denied");

        Assert.NotEqual(HttpStatusCode.Redirect, response.StatusCode);
        Assert.NotNull(client.SessionCookie);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Logout_WithPostAndToken_EndsTheSession()
    {
        using var client = await portal.SignInAsync("linus@demo.test");
        var token = await client.AntiforgeryTokenAsync("t/demo/account/forgot-password");

        var response = await client.Http.PostAsync("t/demo/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.EndsWith("/t/demo/account/login", response.Headers.Location!.OriginalString);
        Assert.Null(client.SessionCookie);
    }

    [Fact]
    public async Task Session_AfterEightHoursIdle_RedirectsToLoginWithReturnUrl()
    {
        var demo = await portal.DemoAsync();
        using var client = await portal.SignInAsync("teacher@demo.test");
        var path = $"t/demo/courses/{demo.CourseId}/gradebook.csv";
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);

        portal.Clock.Advance(TimeSpan.FromHours(8) + TimeSpan.FromMinutes(1));
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(path);
        }
        finally
        {
            portal.Clock.Reset();
        }

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = Uri.UnescapeDataString(response.Headers.Location!.OriginalString);
        Assert.Contains("/t/demo/account/login", location);
        Assert.Contains($"courses/{demo.CourseId}/gradebook.csv", location);
    }

    [Fact]
    public async Task Session_WithinEightHours_StillValid()
    {
        var demo = await portal.DemoAsync();
        using var client = await portal.SignInAsync("teacher@demo.test");

        portal.Clock.Advance(TimeSpan.FromHours(7));
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync($"t/demo/courses/{demo.CourseId}/gradebook.csv");
        }
        finally
        {
            portal.Clock.Reset();
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    // The cookie challenge's ReturnUrl carries the school's prefix ("/t/demo/courses/..."): it is a path, not relative.
    [Fact]
    public async Task Login_WithReturnUrlFromChallenge_LandsOnThatAddress()
    {
        var demo = await portal.DemoAsync();
        using var client = portal.CreatePortalClient();
        var challenge = await client.GetAsync($"t/demo/courses/{demo.CourseId}/gradebook.csv");
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var returnUrl = System.Web.HttpUtility.ParseQueryString(PortalClient.Absolute(challenge.Headers.Location!).Query)["ReturnUrl"]!;

        var response = await client.PostLoginAsync(PortalFactory.Demo, "teacher@demo.test", PortalFactory.Password, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/t/demo/courses/{demo.CourseId}/gradebook.csv", PortalClient.Absolute(response.Headers.Location!).AbsolutePath);
    }

    [Fact]
    public async Task Login_PlatformAdminAtASchool_IsRefused()
    {
        using var client = portal.CreatePortalClient();

        var response = await client.PostLoginAsync(PortalFactory.Demo, "admin@platform.test", PortalFactory.Password);

        Assert.Contains("do not match an account at this school", PortalClient.Text(await response.Content.ReadAsStringAsync()));
        Assert.Null(client.SessionCookie);
    }

    [Fact]
    public async Task SetLockedAsync_SignedInStudent_SessionEndsAtTheNextStampCheck()
    {
        var demo = await portal.DemoAsync();
        var student = await portal.CreateUserAsync(PortalFactory.Demo, demo.CourseId, CourseRole.Student);
        using var client = await portal.SignInAsync(student.Email!);
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId);
        Assert.Equal("1", PortalClient.QueryOf(await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "before-lock", ("a.c", "int a;\n"u8.ToArray())), "submitted"));

        await portal.AsAsync(PortalFactory.Demo, "admin@demo.test", s => s.GetRequiredService<PeopleService>().SetLockedAsync(student.Id, locked: true));
        // Identity re-checks the session's security stamp every 30 minutes (its default interval).
        portal.Clock.Advance(TimeSpan.FromMinutes(31));
        HttpResponseMessage response;
        try
        {
            response = await client.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "after-lock", ("a.c", "int a;\n"u8.ToArray()));
        }
        finally
        {
            portal.Clock.Reset();
        }

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.EndsWith("/t/demo/account/login", PortalClient.Absolute(response.Headers.Location!).AbsolutePath);
        Assert.False(await portal.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AnyAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Submissions), s => s.ClientSubmissionId == "after-lock")));
    }

    [Fact]
    public async Task Logout_PostWithoutToken_DoesNotSignOut()
    {
        // A form on another site could post here: without the antiforgery token it must not end the session.
        using var client = await portal.SignInAsync("ada@demo.test");
        var session = client.SessionCookie;

        var response = await client.Http.PostAsync("t/demo/account/logout", new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(session, client.SessionCookie);
    }
}
