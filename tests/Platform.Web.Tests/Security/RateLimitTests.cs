using System.Net;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

/// <summary>A portal allowing three sign-in attempts a minute per address.</summary>
public sealed class SignInLimitedPortal : PortalFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("RateLimits:SignInsPerMinute", "3")];
}

/// <summary>A portal allowing two form submissions a minute per person.</summary>
public sealed class SubmissionLimitedPortal : PortalFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("RateLimits:SubmissionsPerMinute", "2")];
}

public sealed class SignInRateLimitTests(SignInLimitedPortal portal) : IClassFixture<SignInLimitedPortal>
{
    [Fact]
    public async Task SignIn_PasswordGuessingBeyondTheLimit_IsRefusedWithRetryAfter()
    {
        using var client = portal.CreatePortalClient();
        var statuses = new List<HttpStatusCode>();

        for (var attempt = 0; attempt < 3; attempt++)
            statuses.Add((await client.PostLoginAsync(PortalFactory.Demo, "teacher@demo.test", "not-the-password")).StatusCode);
        var refused = await client.PostLoginAsync(PortalFactory.Demo, "teacher@demo.test", PortalFactory.Password);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null, "A refused sign-in says when to try again.");
        Assert.Contains("Too many attempts", await refused.Content.ReadAsStringAsync());
    }
}

public sealed class SubmissionRateLimitTests(SubmissionLimitedPortal portal) : IClassFixture<SubmissionLimitedPortal>
{
    [Fact]
    public async Task SubmitForm_BeyondTheLimit_IsRefusedAndNothingIsStored()
    {
        var demo = await portal.DemoAsync();
        var assignment = await portal.CreateAssignmentAsync(demo.CourseId, points: 10);
        using var student = await portal.SignInAsync("linus@demo.test");

        var first = await student.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "limit-1", ("a.c", "int a;\n"u8.ToArray()));
        var second = await student.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "limit-2", ("a.c", "int b;\n"u8.ToArray()));
        var third = await student.SubmitFilesAsync(PortalFactory.Demo, assignment.Id, "limit-3", ("a.c", "int c;\n"u8.ToArray()));

        Assert.NotNull(PortalClient.QueryOf(first, "submitted"));
        Assert.NotNull(PortalClient.QueryOf(second, "submitted"));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var stored = await portal.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Submissions), s => s.AssignmentId == assignment.Id));
        Assert.Equal(2, stored);
    }
}
