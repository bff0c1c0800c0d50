using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Tailnets;
using Platform.Web.Tailnet.Tests.Fakes;
using Platform.Web.Tailnet.Tests.Infrastructure;

namespace Platform.Web.Tailnet.Tests;

/// <summary>The network pages and the lab-key endpoint over HTTP, signed in through the login form; Headscale is <see cref="SwaggerValidatingHeadscaleFake"/>.</summary>
public sealed class TailnetPagesTests(TailnetPortalFactory portal) : IClassFixture<TailnetPortalFactory>, IAsyncLifetime
{
    private SwaggerValidatingHeadscaleFake _fake = null!;

    public async Task InitializeAsync()
    {
        portal.Jobs.Clear();
        _fake = await SwaggerValidatingHeadscaleFake.StartAsync();
    }

    public async Task DisposeAsync()
    {
        Assert.Empty(_fake.Violations);
        await _fake.DisposeAsync();
    }

    private sealed record People(School School, PlatformUser Admin, PlatformUser Teacher, PlatformUser Student);

    private async Task<People> SchoolAsync()
    {
        var school = await portal.SchoolAsync("p-" + Guid.NewGuid().ToString("N")[..10]);
        return new People(school,
            await portal.CreateUserAsync(school.Slug, tenantAdmin: true),
            await portal.CreateUserAsync(school.Slug, courseId: school.CourseId, role: CourseRole.Teacher),
            await portal.CreateUserAsync(school.Slug, courseId: school.CourseId, cohortId: school.Cohorts[0]));
    }

    private async Task<HttpResponseMessage> PostSettingsAsync(HttpClient client, string slug, string url, string key)
    {
        var page = $"t/{slug}/admin/network";
        var token = await TailnetPortalFactory.TokenAsync(client, page);
        return await client.PostAsync(page, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "tailnet-settings",
            ["__RequestVerificationToken"] = token,
            ["Input.Url"] = url,
            ["Input.ApiKey"] = key,
        }));
    }

    [Fact]
    public async Task NetworkPage_WithNoServer_SaysTheRestOfTheProductWorksWithoutOne()
    {
        var p = await SchoolAsync();
        var (admin, _) = await portal.SignInAsync(p.School.Slug, p.Admin.Email!);
        var html = await admin.GetStringAsync($"t/{p.School.Slug}/admin/network");
        Assert.Contains("No network server connected", html);
        Assert.Contains("The rest of the product works without one", html);
        Assert.Contains("headscale apikeys create", html);

        var (teacher, _) = await portal.SignInAsync(p.School.Slug, p.Teacher.Email!);
        var cohortPage = await teacher.GetStringAsync($"t/{p.School.Slug}/cohorts/{p.School.Cohorts[0]}/network");
        Assert.Contains("No network server connected", cohortPage);
        Assert.Contains("The rest of the product works without one", cohortPage);
    }

    [Fact]
    public async Task SettingsForm_StoresTheKey_AndNoPageEverShowsIt()
    {
        var p = await SchoolAsync();
        var (admin, _) = await portal.SignInAsync(p.School.Slug, p.Admin.Email!);
        var saved = await PostSettingsAsync(admin, p.School.Slug, _fake.BaseUrl.ToString(), _fake.ApiKey);
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.DoesNotContain(_fake.ApiKey, await saved.Content.ReadAsStringAsync());

        var html = await admin.GetStringAsync($"t/{p.School.Slug}/admin/network");
        Assert.Contains(_fake.BaseUrl.Authority, html);
        Assert.Contains("never shown again", html);
        Assert.DoesNotContain(_fake.ApiKey, html);

        // A form that fails its rule renders again: without the key that was typed.
        var rejected = await PostSettingsAsync(admin, p.School.Slug, "not a url", "hskey-api-typed.secret-value");
        var again = await rejected.Content.ReadAsStringAsync();
        Assert.Contains("full http or https URL", again);
        Assert.DoesNotContain("hskey-api-typed.secret-value", again);

        await portal.RunQueuedJobsAsync(onlyTenant: p.School.TenantId);
        var (teacher, _) = await portal.SignInAsync(p.School.Slug, p.Teacher.Email!);
        var cohortPage = await teacher.GetStringAsync($"t/{p.School.Slug}/cohorts/{p.School.Cohorts[0]}/network");
        Assert.Contains("data-state=\"Ready\"", cohortPage);
        Assert.DoesNotContain(_fake.ApiKey, cohortPage);
        Assert.DoesNotContain(portal.Logs, line => line.Contains(_fake.ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CohortPage_AfterProvisioningFailed_ShowsWhy()
    {
        var p = await SchoolAsync();
        await portal.AsAsync(p.School.Slug, p.Admin.Email, sp => sp.GetRequiredService<TailnetService>().SaveSettingsAsync(_fake.BaseUrl.ToString(), _fake.ApiKey));
        _fake.Down = true;
        await Assert.ThrowsAsync<TailnetSweepException>(() => portal.RunQueuedJobsAsync(onlyTenant: p.School.TenantId));

        var (teacher, _) = await portal.SignInAsync(p.School.Slug, p.Teacher.Email!);
        var html = WebUtility.HtmlDecode(await teacher.GetStringAsync($"t/{p.School.Slug}/cohorts/{p.School.Cohorts[0]}/network"));
        Assert.Contains("Setting up the network failed, and is being retried", html);
        Assert.Contains("cannot be reached", html);
        Assert.Contains("Bring the networks in line", html);

        var (admin, _) = await portal.SignInAsync(p.School.Slug, p.Admin.Email!);
        var check = await admin.GetStringAsync($"t/{p.School.Slug}/admin/network");
        Assert.Contains("badge-failed", check);
    }

    [Fact]
    public async Task NetworkSettings_ForTeachersStudentsAndOtherSchools_AreNotShown()
    {
        var p = await SchoolAsync();
        await portal.AsAsync(p.School.Slug, p.Admin.Email, sp => sp.GetRequiredService<TailnetService>().SaveSettingsAsync(_fake.BaseUrl.ToString(), _fake.ApiKey));
        foreach (var who in new[] { p.Teacher, p.Student })
        {
            var (client, _) = await portal.SignInAsync(p.School.Slug, who.Email!);
            var response = await client.GetAsync($"t/{p.School.Slug}/admin/network");
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        }
        var (student, _) = await portal.SignInAsync(p.School.Slug, p.Student.Email!);
        Assert.NotEqual(HttpStatusCode.OK, (await student.GetAsync($"t/{p.School.Slug}/cohorts/{p.School.Cohorts[0]}/network")).StatusCode);

        var other = await SchoolAsync();
        var (otherAdmin, _) = await portal.SignInAsync(other.School.Slug, other.Admin.Email!);
        var crossing = await otherAdmin.GetAsync($"t/{p.School.Slug}/admin/network");
        Assert.NotEqual(HttpStatusCode.OK, crossing.StatusCode);
        var own = await otherAdmin.GetStringAsync($"t/{other.School.Slug}/admin/network");
        Assert.DoesNotContain(_fake.BaseUrl.Authority, own);
    }

    [Fact]
    public async Task Navigation_LinksTheNetworkPages()
    {
        var p = await SchoolAsync();
        var (admin, _) = await portal.SignInAsync(p.School.Slug, p.Admin.Email!);
        Assert.Contains("href=\"admin/network\"", await admin.GetStringAsync($"t/{p.School.Slug}/"));
        var (teacher, _) = await portal.SignInAsync(p.School.Slug, p.Teacher.Email!);
        Assert.Contains($"href=\"cohorts/{p.School.Cohorts[0]}/network\"", await teacher.GetStringAsync($"t/{p.School.Slug}/courses/{p.School.CourseId}"));
    }

    [Fact]
    public async Task LabKeyEndpoint_GivesTheStudentTheirKey_Uncached_AndRefusesOthers()
    {
        var p = await SchoolAsync();
        await portal.AsAsync(p.School.Slug, p.Admin.Email, sp => sp.GetRequiredService<TailnetService>().SaveSettingsAsync(_fake.BaseUrl.ToString(), _fake.ApiKey));
        await portal.RunQueuedJobsAsync(onlyTenant: p.School.TenantId);

        var (student, _) = await portal.SignInAsync(p.School.Slug, p.Student.Email!);
        var response = await student.PostAsync($"t/{p.School.Slug}/api/tailnet/lab-key?assignmentId={p.School.AssignmentId}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var key = await response.Content.ReadFromJsonAsync<LabKey>();
        Assert.StartsWith("hskey-auth-", key!.Key);
        Assert.Equal("Blue", key.Cohort);

        var (teacher, _) = await portal.SignInAsync(p.School.Slug, p.Teacher.Email!);
        var refused = await teacher.PostAsync($"t/{p.School.Slug}/api/tailnet/lab-key?assignmentId={p.School.AssignmentId}", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var anonymous = portal.CreateClient(new() { AllowAutoRedirect = false });
        var unsigned = await anonymous.PostAsync($"t/{p.School.Slug}/api/tailnet/lab-key?assignmentId={p.School.AssignmentId}", null);
        // 401, which the portal's status-code pages turn into another refusal: anything but a key.
        Assert.NotEqual(HttpStatusCode.OK, unsigned.StatusCode);
        Assert.DoesNotContain("hskey-auth-", await unsigned.Content.ReadAsStringAsync());
    }
}
