using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Platform.Web.ScaleOut.Tests;

/// <summary>One portal instance of a scale-out deployment: PostgreSQL, Redis and a shared data folder.</summary>
/// <remarks>
/// Rate limits are set out of reach unless <paramref name="settings"/> lower them: with Redis they are
/// counted across every instance sharing it, and the tests sign in many times from one address.
/// </remarks>
public sealed partial class PortalInstance(string connectionString, string dataDirectory, string? redis,
    IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    public const string Password = "scale-out-password";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Platform:Database", "postgres");
        builder.UseSetting("ConnectionStrings:Platform", connectionString);
        builder.UseSetting("Platform:DataDirectory", dataDirectory);
        builder.UseSetting("Platform:Redis", redis ?? "");
        builder.UseSetting("Platform:DemoPassword", Password);
        builder.UseSetting("RateLimits:SignInsPerMinute", "100000");
        builder.UseSetting("RateLimits:SubmissionsPerMinute", "100000");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            builder.UseSetting(key, value);
    }

    /// <summary>Signs in through the real form; returns a client that keeps the session and its cookie header.</summary>
    public async Task<(HttpClient Client, string Cookie)> SignInAsync(string email)
    {
        var cookies = new CookieContainer();
        var client = CreateDefaultClient(new CookieHandler(cookies));
        var form = await client.GetStringAsync("/t/demo/account/login");
        var response = await client.PostAsync("/t/demo/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = AntiforgeryToken(form),
            ["Input.Email"] = email,
            ["Input.Password"] = Password,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        // The session cookie is scoped to the school's path, so one browser can hold a session per school.
        var session = cookies.GetCookies(new Uri(client.BaseAddress!, "/t/demo/")).Single(c => c.Name == "webvm.session");
        return (client, $"{session.Name}={session.Value}");
    }

    public static string AntiforgeryToken(string html) => TokenPattern().Match(html).Groups[1].Value;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    /// <summary>Keeps cookies across requests of a TestServer client, which has no cookie handling of its own.</summary>
    private sealed class CookieHandler(CookieContainer cookies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var header = cookies.GetCookieHeader(request.RequestUri!);
            if (header.Length > 0)
                request.Headers.Add("Cookie", header);
            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var set))
                foreach (var cookie in set)
                    cookies.SetCookies(request.RequestUri!, cookie);
            return response;
        }
    }
}
