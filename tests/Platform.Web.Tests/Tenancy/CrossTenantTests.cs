using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data;
using Platform.Web.Tenancy;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Tenancy;

/// <summary>One school's people never reach another school's data, whatever address they type.</summary>
public sealed class CrossTenantTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    public static TheoryData<string> OtherSchoolAddresses() => new()
    {
        "assignment",
        "submission-file",
        "gradebook",
        "package",
    };

    private static string PathOf(string what, OtherSchool other) => what switch
    {
        "assignment" => $"t/other/assignments/{other.AssignmentId}",
        "submission-file" => $"t/other/submissions/{other.SubmissionId}/files/{other.FileId}",
        "gradebook" => $"t/other/courses/{other.CourseId}/gradebook.csv",
        "package" => $"t/other/courses/{other.CourseId}/package.zip",
        _ => throw new ArgumentOutOfRangeException(nameof(what)),
    };

    /// <summary>The same data through the demo school's own prefix: the ids are right, the tenant is not.</summary>
    private static string DemoPathOf(string what, OtherSchool other) => PathOf(what, other).Replace("t/other/", "t/demo/", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(OtherSchoolAddresses))]
    public async Task OtherSchoolsData_WithDemoStudentsSession_IsNeverShown(string what)
    {
        var other = await portal.OtherSchoolAsync();
        using var student = await portal.SignInAsync("student@demo.test");

        // The browser would not even send the cookie to /t/other (its path is /t/demo): send it by hand.
        var request = new HttpRequestMessage(HttpMethod.Get, PathOf(what, other));
        request.Headers.Add("Cookie", $"{PortalClient.SessionCookieName}={student.SessionCookie}");
        var response = await portal.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false }).SendAsync(request);

        await AssertRefusedAsync(response);
    }

    [Theory]
    [MemberData(nameof(OtherSchoolAddresses))]
    public async Task OtherSchoolsData_ThroughOwnSchoolsAddress_IsNotFound(string what)
    {
        var other = await portal.OtherSchoolAsync();
        using var admin = await portal.SignInAsync("admin@demo.test");

        var response = await admin.GetAsync(DemoPathOf(what, other));

        await AssertRefusedAsync(response);
    }

    [Fact]
    public async Task SessionOfDemo_AtOtherSchool_IsNotASession()
    {
        var other = await portal.OtherSchoolAsync();
        using var teacher = await portal.SignInAsync("teacher@demo.test");

        // An address the demo teacher may open at home; the other school's course answers
        // the same way for anyone who is not signed in there.
        var request = new HttpRequestMessage(HttpMethod.Get, $"t/other/courses/{other.CourseId}/gradebook.csv");
        request.Headers.Add("Cookie", $"{PortalClient.SessionCookieName}={teacher.SessionCookie}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var response = await portal.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false }).SendAsync(request);

        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"Got {(int)response.StatusCode}");
        await using var scope = portal.Services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<RequestTenant>();
        await tenant.SelectAsync(OtherSchool.Slug, CancellationToken.None);
        var user = new CurrentUser(new Microsoft.AspNetCore.Http.HttpContextAccessor
        {
            HttpContext = new Microsoft.AspNetCore.Http.DefaultHttpContext
            {
                User = await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => Task.FromResult(s.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>().HttpContext!.User)),
            },
        }, tenant);
        Assert.False(user.IsSignedIn);
        Assert.Null(user.Id);
    }

    [Fact]
    public async Task UnknownSchool_Answers404WithClearMessage()
    {
        using var client = portal.CreatePortalClient();

        var response = await client.GetAsync("t/no-such-school/account/login");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("There is no school 'no-such-school' here.", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task QueryFilter_InDemoContext_HidesOtherSchoolsRows()
    {
        var other = await portal.OtherSchoolAsync();
        var demo = await portal.DemoAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RequestTenant>().SelectAsync(PortalFactory.Demo, CancellationToken.None);
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();

        Assert.False(await db.Courses.AnyAsync(c => c.Id == other.CourseId));
        Assert.False(await db.Assignments.AnyAsync(a => a.Id == other.AssignmentId));
        Assert.False(await db.Submissions.AnyAsync(s => s.Id == other.SubmissionId));
        Assert.False(await db.Enrollments.AnyAsync(e => e.CourseId == other.CourseId));
        Assert.False(await db.Users.AnyAsync(u => u.Id == other.StudentId));
        Assert.Null(await db.Submissions.FindAsync(other.SubmissionId) is { } found && found.TenantId == other.TenantId ? found : null);
        // The filter hides, it does not break: the demo school's own rows are there.
        Assert.True(await db.Courses.AnyAsync(c => c.Id == demo.CourseId));
        Assert.True(await db.Users.AnyAsync(u => u.Email == "student@demo.test" && u.TenantId == demo.TenantId));
    }

    [Fact]
    public async Task QueryFilter_WithNoTenant_SeesNoTenantRows()
    {
        var other = await portal.OtherSchoolAsync();
        await using var scope = portal.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();

        Assert.False(await db.Courses.AnyAsync(c => c.Id == other.CourseId));
        Assert.False(await db.Submissions.AnyAsync(s => s.Id == other.SubmissionId));
        Assert.True(await db.Users.AnyAsync(u => u.Email == "admin@platform.test"));
        Assert.False(await db.Users.AnyAsync(u => u.TenantId != null));
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(OtherSchool.Secret, body);
        Assert.DoesNotContain("SECRET201", body);
        Assert.DoesNotContain("Oscar Student", body);
        if (response.StatusCode == HttpStatusCode.Redirect)
        {
            var target = PortalClient.Absolute(response.Headers.Location!).AbsolutePath;
            Assert.True(target.EndsWith("/account/login", StringComparison.Ordinal) || target.EndsWith("/account/denied", StringComparison.Ordinal), $"Redirected to {target}");
        }
        else
        {
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed,
                $"Got {(int)response.StatusCode}: {body[..Math.Min(300, body.Length)]}");
        }
    }
}
