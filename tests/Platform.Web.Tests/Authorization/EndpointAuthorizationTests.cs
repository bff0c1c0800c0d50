using System.Net;
using Platform.Web.Features.Submissions;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Authorization;

/// <summary>
/// Who may reach each address of the demo school. Every row sends the actor's session cookie to the
/// address (even where a browser would not), and a refused row must not leak the data in its body.
/// </summary>
public sealed class EndpointAuthorizationTests(AuthorizationPortal portal) : IClassFixture<AuthorizationPortal>
{
    /// <summary>A GET address and who may open it. Extension point: add the portal's pages here as they land.</summary>
    public sealed record Route(string Name, Func<MatrixData, string> Path, string[] Allowed, Func<HttpResponseMessage, Task>? AssertAllowed = null);

    // Declared before Routes, which reads them while it is initialised.
    private static readonly string[] Members = ["student", "classmate", "grader", "teacher", "school-admin"];
    private static readonly string[] Staff = ["grader", "teacher", "school-admin"];

    public static readonly IReadOnlyList<Route> Routes =
    [
        new("submission-file", d => $"t/demo/submissions/{d.SubmissionId}/files/{d.FileId}",
            ["student", "grader", "teacher", "school-admin"],
            async r => Assert.Contains(AuthorizationPortal.FileMarker, await r.Content.ReadAsStringAsync())),
        new("gradebook.csv", d => $"t/demo/courses/{d.Demo.CourseId}/gradebook.csv",
            ["grader", "teacher", "school-admin"],
            async r => Assert.Contains("Sam Student", await r.Content.ReadAsStringAsync())),
        new("package.zip", d => $"t/demo/courses/{d.Demo.CourseId}/package.zip",
            ["teacher", "school-admin"],
            async r => Assert.Equal("application/zip", r.Content.Headers.ContentType?.MediaType)),
        new("hangfire", _ => "hangfire",
            ["platform-admin"],
            async r => Assert.Contains("WebVM Classroom jobs", await r.Content.ReadAsStringAsync())),
        // Pages. Members of the demo school reach the school's pages; staff pages show students' names.
        new("dashboard", _ => "t/demo/", Members, Shows("Welcome,")),
        new("courses", _ => "t/demo/courses", Members, Shows("Introduction to Linux")),
        new("course", d => $"t/demo/courses/{d.Demo.CourseId}", Members, Shows("Introduction to Linux")),
        new("assignment", d => $"t/demo/assignments/{d.AssignmentId}", Members, Shows("Late work")),
        new("lab", d => $"t/demo/assignments/{d.AssignmentId}/lab", Members, Shows("Lab:")),
        new("grading queue", d => $"t/demo/assignments/{d.AssignmentId}/submissions", Staff, Shows("Sam Student")),
        new("submission", d => $"t/demo/submissions/{d.SubmissionId}", ["student", .. Staff], Shows(AuthorizationPortal.FileMarker)),
        new("gradebook", d => $"t/demo/courses/{d.Demo.CourseId}/gradebook", Staff, Shows("Sam Student")),
        new("roster import", d => $"t/demo/courses/{d.Demo.CourseId}/roster", ["teacher", "school-admin"], Shows("Import a roster")),
        new("new assignment", d => $"t/demo/courses/{d.Demo.CourseId}/assignments/new", ["teacher", "school-admin"], Shows("New assignment")),
        new("edit assignment", d => $"t/demo/assignments/{d.AssignmentId}/edit", ["teacher", "school-admin"], Shows("Extensions")),
        new("people", _ => "t/demo/admin/people", ["school-admin"], Shows("Sam Student")),
        new("course packages", _ => "t/demo/admin/course-packages", ["school-admin"], Shows("LINUX101")),
        new("schools", _ => "platform/tenants", ["platform-admin"], Shows("Demo High School")),
        new("network settings", _ => "t/demo/admin/network", ["school-admin"], Shows("Headscale")),
        new("cohort network", d => $"t/demo/cohorts/{d.CohortId}/network", ["teacher", "school-admin"], Shows(": network")),
        // The lab client's API: a lab image's build state for anyone who may open the course.
        new("lab image build", d => $"t/demo/images/{d.LabImageId}/build", Members, async r => Assert.Contains("\"status\"", await r.Content.ReadAsStringAsync())),
    ];

    private static Func<HttpResponseMessage, Task> Shows(string text) =>
        async response => Assert.Contains(text, await response.Content.ReadAsStringAsync());

    public static TheoryData<string, string> RouteRows()
    {
        var rows = new TheoryData<string, string>();
        foreach (var route in Routes)
            foreach (var actor in Actors.All)
                rows.Add(route.Name, actor.Name);
        return rows;
    }

    public static TheoryData<string> ActorRows()
    {
        var rows = new TheoryData<string>();
        foreach (var actor in Actors.All)
            rows.Add(actor.Name);
        return rows;
    }

    [Theory]
    [MemberData(nameof(RouteRows))]
    public async Task Get_ByActor_AllowedOnlyForItsRoles(string routeName, string actorName)
    {
        var data = await portal.DataAsync();
        var route = Routes.Single(r => r.Name == routeName);
        using var client = portal.ClientWithSession(await portal.SessionOfAsync(Actors.Named(actorName)));

        var response = await client.GetAsync(route.Path(data));

        if (route.Allowed.Contains(actorName))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (route.AssertAllowed is not null)
                await route.AssertAllowed(response);
        }
        else
        {
            await AssertRefusedAsync(response);
        }
    }

    [Theory]
    [MemberData(nameof(ActorRows))]
    public async Task SubmitForm_ByActor_OnlyStudentsOfTheCourseSubmit(string actorName)
    {
        var data = await portal.DataAsync();
        using var client = portal.ClientWithSession(await portal.SessionOfAsync(Actors.Named(actorName)));
        var clientId = "matrix-" + Guid.NewGuid().ToString("N");

        var response = await client.SubmitFilesAsync(PortalFactory.Demo, data.AssignmentId, clientId, ("main.c", "int main(void) { return 0; }\n"u8.ToArray()));

        var landed = await portal.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AnyAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Submissions), s => s.ClientSubmissionId == clientId));
        if (actorName is "student" or "classmate")
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.NotNull(PortalClient.QueryOf(response, "submitted"));
            Assert.True(landed);
        }
        else
        {
            await AssertRefusedAsync(response);
            Assert.False(landed);
        }
    }

    [Theory]
    [MemberData(nameof(ActorRows))]
    public async Task ImportPackage_ByActor_OnlySchoolAdmins(string actorName)
    {
        using var client = portal.ClientWithSession(await portal.SessionOfAsync(Actors.Named(actorName)));
        using var form = new MultipartFormDataContent
        {
            { new StringContent(await client.AntiforgeryTokenAsync("t/demo/" + PortalClient.TokenPage)), "__RequestVerificationToken" },
            // Not a zip: an admin gets the importer's own answer, anybody else never reaches it.
            { new ByteArrayContent("not a zip"u8.ToArray()), "package", "course.zip" },
        };

        var response = await client.Http.PostAsync("t/demo/admin/course-packages/import", form);

        if (actorName == "school-admin")
            Assert.True("The upload is not a zip file." == PortalClient.QueryOf(response, "error"), $"{(int)response.StatusCode} {response.Headers.Location} {await response.Content.ReadAsStringAsync()}");
        else
            await AssertRefusedAsync(response);
    }

    [Theory]
    [MemberData(nameof(ActorRows))]
    public async Task LabKey_ByActor_OnlyStudentsOfTheCourseGetPastAuthorization(string actorName)
    {
        var data = await portal.DataAsync();
        using var client = portal.ClientWithSession(await portal.SessionOfAsync(Actors.Named(actorName)));

        var response = await client.Http.PostAsync($"t/demo/api/tailnet/lab-key?assignmentId={data.AssignmentId}", null);

        if (actorName is "student" or "classmate")
        {
            // The demo school has no network server: the students' answer says so; nobody else hears even that.
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Contains("network", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
        else
        {
            await AssertRefusedAsync(response);
        }
    }

    internal static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        // The viewer's own name in the top bar ("Signed in as ...") is not a leak; the page's content is what counts.
        var body = System.Text.RegularExpressions.Regex.Replace(await response.Content.ReadAsStringAsync(),
            "<div class=\"topbar\">.*?</div>", "", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.DoesNotContain(AuthorizationPortal.FileMarker, body);
        Assert.DoesNotContain("Sam Student", body);
        Assert.DoesNotContain("WebVM Classroom jobs", body);
        Assert.DoesNotContain("Demo High School</td>", body);
        if (response.StatusCode == HttpStatusCode.Redirect)
        {
            var target = PortalClient.Absolute(response.Headers.Location!).AbsolutePath;
            Assert.True(target.EndsWith("/account/login", StringComparison.Ordinal) || target.EndsWith("/account/denied", StringComparison.Ordinal), $"Redirected to {target}");
        }
        else
        {
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound,
                $"Got {(int)response.StatusCode}: {body[..Math.Min(300, body.Length)]}");
        }
    }
}
