using Platform.Data.Entities;
using Platform.Web.Features.Courses;
using Platform.Web.Features.Courses.Pages;

namespace Platform.Web.Components.Tests.Features.Courses;

public sealed class RosterTableTests : BunitContext
{
    [Fact]
    public void RosterTable_MixedRows_ShowsEachRowsProblemOrReady()
    {
        var preview = RosterImport.Parse("email,name,role,cohort\nada@school.org,Ada,student,Monday\nnot-an-email,Bob,student,Monday\ncy@school.org,Cy,wizard,Monday\n",
            ["Monday"]);

        var table = Render<RosterTable>(p => p.Add(t => t.Rows, preview.Rows));

        var rows = table.FindAll("tbody tr");
        Assert.Equal(3, rows.Count);
        Assert.Contains("Ready", rows[0].TextContent);
        Assert.Contains("'not-an-email' is not an email address.", rows[1].TextContent);
        Assert.Contains("Role 'wizard' is not one of student, grader, teacher.", rows[2].TextContent);
        Assert.Equal(CourseRole.Student, preview.Rows[0].Role);
    }
}
