using Microsoft.EntityFrameworkCore;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Assignments;

/// <summary>What the assignment page shows to whom: hidden checks stay hidden from students.</summary>
public sealed class AssignmentPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string HiddenCheck = "backup is an exact copy";
    private const string VisibleCheck = "project folder exists";

    [Fact]
    public async Task AssignmentPage_Student_SeesVisibleChecksButNotHiddenOnes()
    {
        var page = await PageOfFilesAndFoldersAsync("student@demo.test");

        Assert.Contains(VisibleCheck, page);
        Assert.DoesNotContain(HiddenCheck, page);
        Assert.Contains("Some checks are hidden until grading.", page);
    }

    [Fact]
    public async Task AssignmentPage_Grader_SeesEveryCheckMarkedHidden()
    {
        var page = await PageOfFilesAndFoldersAsync("grader@demo.test");

        Assert.Contains(VisibleCheck, page);
        Assert.Contains(HiddenCheck, page);
        Assert.Contains("hidden from students", page);
    }

    private async Task<string> PageOfFilesAndFoldersAsync(string email)
    {
        await portal.DemoAsync();
        var assignmentId = await portal.WithDbAsync(db => db.Assignments.IgnoreQueryFilters()
            .Where(a => a.Slug == "01-files-and-folders").Select(a => a.Id).SingleAsync());
        using var client = await portal.SignInAsync(email);
        var response = await client.GetAsync($"t/demo/assignments/{assignmentId}");
        response.EnsureSuccessStatusCode();
        return System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }
}
