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
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
    }
}
