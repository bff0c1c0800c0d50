using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.OpenId;

/// <summary>Each school is its own OpenID Connect issuer under its prefix.</summary>
public sealed class OpenIdTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private async Task<HttpResponseMessage> ClientCredentialsAsync(string tenant, string secret)
    {
        using var client = portal.CreatePortalClient();
        return await client.Http.PostAsync($"t/{tenant}/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "webvm-services",
            ["client_secret"] = secret,
            ["scope"] = "grades",
        }));
    }

    private async Task<JsonElement> IntrospectAsync(string tenant, string token)
    {
        using var client = portal.CreatePortalClient();
        var response = await client.Http.PostAsync($"t/{tenant}/connect/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token,
            ["client_id"] = "webvm-services",
            ["client_secret"] = PortalFactory.ServicesSecret,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    [Fact]
    public async Task Discovery_NamesTheSchoolsIssuerAndEndpoints()
    {
        using var client = portal.CreatePortalClient();

        var response = await client.GetAsync("t/demo/.well-known/openid-configuration");
        var document = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("http://localhost/t/demo", document.GetProperty("issuer").GetString()?.TrimEnd('/'));
        Assert.Equal("http://localhost/t/demo/connect/authorize", document.GetProperty("authorization_endpoint").GetString());
        Assert.Equal("http://localhost/t/demo/connect/token", document.GetProperty("token_endpoint").GetString());
        Assert.Equal("http://localhost/t/demo/connect/introspect", document.GetProperty("introspection_endpoint").GetString());
        Assert.Equal("http://localhost/t/demo/connect/userinfo", document.GetProperty("userinfo_endpoint").GetString());
        Assert.Contains("S256", document.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task ClientCredentials_WithServicesSecret_IssuesActiveToken()
    {
        var response = await ClientCredentialsAsync(PortalFactory.Demo, PortalFactory.ServicesSecret);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = body.GetProperty("access_token").GetString()!;
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        var introspection = await IntrospectAsync(PortalFactory.Demo, token);
        Assert.True(introspection.GetProperty("active").GetBoolean());
        Assert.Equal("webvm-services", introspection.GetProperty("client_id").GetString());
        Assert.Equal("http://localhost/t/demo", introspection.GetProperty("iss").GetString()?.TrimEnd('/'));
    }

    [Fact]
    public async Task ClientCredentials_WithWrongSecret_IsInvalidClient()
    {
        var response = await ClientCredentialsAsync(PortalFactory.Demo, "not-the-secret");

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"Got {(int)response.StatusCode}");
        Assert.Equal("invalid_client", (await JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task TokenOfDemo_AtOtherSchool_IsNotActive()
    {
        await portal.OtherSchoolAsync();
        var token = (await JsonAsync(await ClientCredentialsAsync(PortalFactory.Demo, PortalFactory.ServicesSecret))).GetProperty("access_token").GetString()!;

        var introspection = await IntrospectAsync(OtherSchool.Slug, token);

        Assert.False(introspection.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Authorize_Anonymous_SendsToTheSchoolsLogin()
    {
        using var client = portal.CreatePortalClient();
        var (_, challenge) = Pkce();

        var response = await client.GetAsync(AuthorizeUrl(challenge, "state-1"));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = PortalClient.Absolute(response.Headers.Location!);
        Assert.Equal("/t/demo/account/login", location.AbsolutePath);
        Assert.Contains("connect/authorize", Uri.UnescapeDataString(location.Query));
    }

    [Fact]
    public async Task AuthorizationCodeWithPkce_SignedInStudent_GetsTokensForThemselves()
    {
        using var student = await portal.SignInAsync("ada@demo.test");
        var ada = await portal.FindUserAsync("ada@demo.test");
        var (verifier, challenge) = Pkce();

        var authorize = await student.GetAsync(AuthorizeUrl(challenge, "state-2"));
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var callback = PortalClient.Absolute(authorize.Headers.Location!);
        Assert.StartsWith(PortalFactory.LabRedirectUri, callback.GetLeftPart(UriPartial.Path));
        var query = System.Web.HttpUtility.ParseQueryString(callback.Query);
        Assert.Equal("state-2", query["state"]);
        var code = query["code"] ?? throw new InvalidOperationException($"No code in {callback}");

        using var lab = portal.CreatePortalClient();
        var token = await lab.Http.PostAsync("t/demo/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = PortalFactory.LabRedirectUri,
            ["client_id"] = "webvm-lab",
            ["code_verifier"] = verifier,
        }));
        var tokens = await JsonAsync(token);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.True(tokens.TryGetProperty("id_token", out _));

        var request = new HttpRequestMessage(HttpMethod.Get, "t/demo/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("access_token").GetString());
        var userInfo = await lab.Http.SendAsync(request);
        var me = await JsonAsync(userInfo);
        Assert.Equal(HttpStatusCode.OK, userInfo.StatusCode);
        Assert.Equal(ada.Id.ToString(), me.GetProperty("sub").GetString());
        Assert.Equal("Ada Lovelace", me.GetProperty("name").GetString());
        Assert.Equal(ada.TenantId.ToString(), me.GetProperty("tenant").GetString());
    }

    [Fact]
    public async Task AuthorizationCode_WithWrongVerifier_IsRefused()
    {
        using var student = await portal.SignInAsync("ada@demo.test");
        var (_, challenge) = Pkce();
        var authorize = await student.GetAsync(AuthorizeUrl(challenge, "state-3"));
        var code = System.Web.HttpUtility.ParseQueryString(PortalClient.Absolute(authorize.Headers.Location!).Query)["code"]!;

        using var lab = portal.CreatePortalClient();
        var token = await lab.Http.PostAsync("t/demo/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = PortalFactory.LabRedirectUri,
            ["client_id"] = "webvm-lab",
            ["code_verifier"] = Pkce().Verifier,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Equal("invalid_grant", (await JsonAsync(token)).GetProperty("error").GetString());
    }

    private static string AuthorizeUrl(string challenge, string state) =>
        "t/demo/connect/authorize?client_id=webvm-lab&response_type=code&scope=" + Uri.EscapeDataString("openid profile lab")
        + "&redirect_uri=" + Uri.EscapeDataString(PortalFactory.LabRedirectUri)
        + "&code_challenge=" + challenge + "&code_challenge_method=S256&state=" + state;

    private static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
