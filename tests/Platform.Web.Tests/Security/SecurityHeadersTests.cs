using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Features.Grading;
using Platform.Web.Tests.Authorization;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

public sealed class SecurityHeadersTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Theory]
    [InlineData("t/demo/account/login")]
    [InlineData("t/demo/no-such-page")]
    [InlineData("")]
    public async Task AnyPage_Response_CarriesTheSecurityHeaders(string path)
    {
        using var client = portal.CreatePortalClient();

        var response = await client.Http.GetAsync(path);

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        var csp = Directives(response.Headers.GetValues("Content-Security-Policy").Single());
        // Scripts from the portal only; WebAssembly may compile (the lab's runtime), JavaScript may not be eval'd.
        Assert.Equal(["'self'", "'wasm-unsafe-eval'"], csp["script-src"]);
        Assert.Equal(["'self'"], csp["style-src"]);
        Assert.Equal(["'none'"], csp["frame-ancestors"]);
        Assert.Equal(["'none'"], csp["object-src"]);
        Assert.DoesNotContain(csp.Values.SelectMany(v => v), source => source is "'unsafe-inline'" or "'unsafe-eval'" or "*");
    }

    [Fact]
    public async Task LabPage_Response_AllowsTheTerminalsStylesButNoInlineScript()
    {
        using var client = portal.CreatePortalClient();

        var response = await client.Http.GetAsync($"t/demo/assignments/{Guid.NewGuid()}/lab");

        var csp = Directives(response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal(["'self'", "'unsafe-inline'"], csp["style-src"]);
        Assert.Equal(["'self'", "'wasm-unsafe-eval'"], csp["script-src"]);
        Assert.Equal(["'self'"], csp["default-src"]);
    }

    private static Dictionary<string, string[]> Directives(string policy) =>
        policy.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(d => d[0], d => d[1..]);
}

/// <summary>
/// The CSP forbids inline styles and scripts, so a page that carried one would break in the browser:
/// every page of the authorization matrix, opened by someone who may see it, carries none.
/// </summary>
public sealed partial class InlineContentTests(AuthorizationPortal portal) : IClassFixture<AuthorizationPortal>
{
    public static TheoryData<string> Pages()
    {
        var rows = new TheoryData<string>();
        foreach (var route in EndpointAuthorizationTests.Routes.Where(r => r.Name is not ("submission-file" or "gradebook.csv" or "package.zip" or "hangfire" or "lab image build")))
            rows.Add(route.Name);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_AsAllowedActor_HasNoInlineStyleOrScript(string routeName)
    {
        var data = await portal.DataAsync();
        // A graded submission, so the gradebook draws its grade distribution too.
        await portal.AsAsync(PortalFactory.Demo, "grader@demo.test", s => s.GetRequiredService<GradingService>().GradeAsync(data.SubmissionId, [7], "Fine", release: false));
        var route = EndpointAuthorizationTests.Routes.Single(r => r.Name == routeName);
        using var client = portal.ClientWithSession(await portal.SessionOfAsync(Actors.Named(route.Allowed[^1])));

        var html = await (await client.GetAsync(route.Path(data))).Content.ReadAsStringAsync();

        Assert.Contains("</html>", html);
        Assert.DoesNotMatch(StyleAttribute(), html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotMatch(EventHandlerAttribute(), html);
    }

    [GeneratedRegex(@"<[a-zA-Z][^>]*\sstyle\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex StyleAttribute();

    [GeneratedRegex(@"<script(?![^>]*\ssrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"<[a-zA-Z][^>]*\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex EventHandlerAttribute();
}
