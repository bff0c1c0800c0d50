using System.Net;
using System.Text.Json;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.OpenId;

/// <summary>The services client's secret when none is configured: generated into the data folder.</summary>
public sealed class ServicesSecretTests
{
    private sealed class UnconfiguredSecretPortal : PortalFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("OpenId:ServicesClientSecret", "")];
    }

    private static async Task<HttpResponseMessage> TokenAsync(PortalFactory portal, string secret)
    {
        using var client = portal.CreatePortalClient();
        return await client.Http.PostAsync("t/demo/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "webvm-services",
            ["client_secret"] = secret,
        }));
    }

    [Fact]
    public async Task EmptySecretFile_IsReplacedByAGeneratedSecret()
    {
        // The repository once carried an empty data/services-client-secret: a portal started from a
        // checkout must not take "" as the secret.
        using var portal = new UnconfiguredSecretPortal();
        Directory.CreateDirectory(portal.DataDirectory);
        var file = Path.Combine(portal.DataDirectory, "services-client-secret");
        await File.WriteAllTextAsync(file, "");
        _ = portal.Server;

        var secret = (await File.ReadAllTextAsync(file)).Trim();
        var withEmpty = await TokenAsync(portal, "");
        var withGenerated = await TokenAsync(portal, secret);

        Assert.Matches("^[0-9a-f]{64}$", secret);
        Assert.NotEqual(HttpStatusCode.OK, withEmpty.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withGenerated.StatusCode);
        Assert.True(JsonDocument.Parse(await withGenerated.Content.ReadAsStringAsync()).RootElement.TryGetProperty("access_token", out _));
    }
}
