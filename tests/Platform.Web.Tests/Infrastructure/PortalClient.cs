using System.Net;
using System.Text.RegularExpressions;

namespace Platform.Web.Tests.Infrastructure;

/// <summary>An HttpClient with its cookie jar, and the form mechanics a browser would do.</summary>
public sealed partial class PortalClient(HttpClient http, CookieContainer cookies) : IDisposable
{
    public const string SessionCookieName = "webvm.session";

    public HttpClient Http { get; } = http;
    public CookieContainer Cookies { get; } = cookies;

    /// <summary>The session cookie's value, wherever its path put it (the tenant's prefix).</summary>
    public string? SessionCookie => Cookies.GetAllCookies().FirstOrDefault(c => c.Name == SessionCookieName && !c.Expired)?.Value;

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(path.TrimStart('/'));

    public static string Prefix(string? tenant) => tenant is null ? "" : $"t/{tenant}/";

    public async Task<HttpResponseMessage> PostLoginAsync(string? tenant, string email, string password, string? returnUrl = null)
    {
        var loginPath = Prefix(tenant) + "account/login" + (returnUrl is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnUrl));
        var token = await AntiforgeryTokenAsync(loginPath);
        return await Http.PostAsync(loginPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>
    /// Reads the antiforgery token from a page's form. The token is bound to the signed-in user, so it
    /// comes from a page fetched with this client's own session.
    /// </summary>
    public async Task<string> AntiforgeryTokenAsync(string pagePath)
    {
        var response = await GetAsync(pagePath);
        var html = await response.Content.ReadAsStringAsync();
        return TokenOf(html) ?? throw new InvalidOperationException($"No antiforgery token in {pagePath} ({(int)response.StatusCode}): {html[..Math.Min(html.Length, 500)]}");
    }

    public static string? TokenOf(string html)
    {
        var input = AntiforgeryInput().Match(html);
        if (!input.Success)
            return null;
        var value = ValueAttribute().Match(input.Value);
        return value.Success ? WebUtility.HtmlDecode(value.Groups[1].Value) : null;
    }

    /// <summary>The text of the page's alert (the login form's error).</summary>
    public static string Text(string html) => WebUtility.HtmlDecode(Tags().Replace(html, " "));

    /// <summary>Any page with a form gives a token for this session; the forgot-password page has one for everybody.</summary>
    public const string TokenPage = "account/forgot-password";

    /// <summary>The upload form's POST: multipart with the antiforgery token, as the assignment page sends it.</summary>
    public async Task<HttpResponseMessage> SubmitFilesAsync(string tenant, Guid assignmentId, string clientSubmissionId, params (string Name, byte[] Content)[] files)
    {
        var token = await AntiforgeryTokenAsync(Prefix(tenant) + TokenPage);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(token), "__RequestVerificationToken" },
            { new StringContent(clientSubmissionId), "clientSubmissionId" },
        };
        foreach (var (name, content) in files)
            form.Add(new ByteArrayContent(content), "files", name);
        return await Http.PostAsync($"{Prefix(tenant)}assignments/{assignmentId}/submit", form);
    }

    /// <summary>The query parameter of a redirect (e.g. the upload form's "error" or "submitted").</summary>
    public static string? QueryOf(HttpResponseMessage response, string name) =>
        response.Headers.Location is { } location ? System.Web.HttpUtility.ParseQueryString(Absolute(location).Query)[name] : null;

    /// <summary>A redirect's target as an absolute address on the test server.</summary>
    public static Uri Absolute(Uri location) => location.IsAbsoluteUri ? location : new Uri(new Uri("http://localhost"), location);

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*>")]
    private static partial Regex AntiforgeryInput();

    [GeneratedRegex("value=\"([^\"]*)\"")]
    private static partial Regex ValueAttribute();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();
}
