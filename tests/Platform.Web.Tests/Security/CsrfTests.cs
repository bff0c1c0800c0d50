using System.Net;
using System.Text.RegularExpressions;
using Platform.Web.Tests.Authorization;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

/// <summary>
/// Cross-site request forgery: every form on every page, posted as a page on another site would post
/// it (the victim's session cookie, every field of the form, but no antiforgery token of this
/// session), is refused before it acts.
/// </summary>
public sealed partial class CsrfTests(AuthorizationPortal portal) : IClassFixture<AuthorizationPortal>
{
    /// <summary>Each page with forms, opened by someone who sees its forms.</summary>
    public static TheoryData<string, string> Pages() => new()
    {
        { "t/demo/account/login", "anonymous" },
        { "t/demo/account/forgot-password", "anonymous" },
        { "t/demo/courses", "teacher" },
        { "t/demo/courses/{course}", "teacher" },
        { "t/demo/courses/{course}/roster", "teacher" },
        { "t/demo/courses/{course}/assignments/new", "teacher" },
        { "t/demo/assignments/{assignment}/edit", "teacher" },
        { "t/demo/assignments/{assignment}", "student" },
        { "t/demo/assignments/{assignment}/submissions", "grader" },
        { "t/demo/submissions/{submission}", "grader" },
        { "t/demo/cohorts/{cohort}/network", "teacher" },
        { "t/demo/admin/people", "school-admin" },
        { "t/demo/admin/course-packages", "school-admin" },
        { "t/demo/admin/network", "school-admin" },
        { "platform/tenants", "platform-admin" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task EveryForm_PostedWithoutItsToken_IsRefused(string page, string actorName)
    {
        var data = await portal.DataAsync();
        var path = page.Replace("{course}", data.Demo.CourseId.ToString()).Replace("{assignment}", data.AssignmentId.ToString())
            .Replace("{submission}", data.SubmissionId.ToString()).Replace("{cohort}", data.CohortId.ToString());
        using var victim = portal.ClientWithSession(await portal.SessionOfAsync(Actors.Named(actorName)));
        var html = await (await victim.GetAsync(path)).Content.ReadAsStringAsync();
        var forms = FormPattern().Matches(html);
        Assert.NotEmpty(forms);

        foreach (Match form in forms)
        {
            var fields = HiddenInput().Matches(form.Groups["body"].Value)
                .Select(m => (Name: WebUtility.HtmlDecode(m.Groups["name"].Value), Value: WebUtility.HtmlDecode(m.Groups["value"].Value)))
                .ToList();
            Assert.Contains(fields, f => f.Name == "__RequestVerificationToken");
            var forged = fields.Where(f => f.Name != "__RequestVerificationToken").ToList();
            var action = ActionOf(form.Value, path);

            var response = await victim.Http.PostAsync(action, Body(form.Value, forged));

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest,
                $"The form posting to {action} ({string.Join(", ", forged.Select(f => f.Name + "=" + f.Value))}) answered {(int)response.StatusCode} without a token");
        }
    }

    /// <summary>A form without action posts to its page; a relative action resolves against the page's base (the school's prefix).</summary>
    private static string ActionOf(string formTag, string pagePath)
    {
        var action = ActionAttribute().Match(formTag);
        if (!action.Success || action.Groups[1].Value.Length == 0)
            return pagePath;
        var target = WebUtility.HtmlDecode(action.Groups[1].Value);
        if (target.StartsWith('/'))
            return target.TrimStart('/');
        var prefix = pagePath.StartsWith("t/demo/", StringComparison.Ordinal) ? "t/demo/" : "";
        return prefix + target;
    }

    private static HttpContent Body(string formTag, List<(string Name, string Value)> fields)
    {
        if (!formTag.Contains("multipart/form-data", StringComparison.Ordinal))
            return new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));
        var multipart = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
            multipart.Add(new StringContent(value), name);
        // The file inputs of the upload forms, as a forged form would fill them.
        multipart.Add(new ByteArrayContent("forged\n"u8.ToArray()), "files", "forged.txt");
        multipart.Add(new ByteArrayContent("PK\u0005\u0006"u8.ToArray()), "package", "forged.zip");
        return multipart;
    }

    [GeneratedRegex("<form(?<attrs>[^>]*method=\"post\"[^>]*)>(?<body>.*?)</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FormPattern();

    [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*name=\"(?<name>[^\"]*)\"[^>]*value=\"(?<value>[^\"]*)\"[^>]*>")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("action=\"([^\"]*)\"")]
    private static partial Regex ActionAttribute();
}
