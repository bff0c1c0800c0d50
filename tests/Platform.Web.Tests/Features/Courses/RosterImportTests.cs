using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Courses;
using Platform.Web.Tenancy;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Features.Courses;

public sealed class RosterImportTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly string[] Cohorts = ["Monday section", "Thursday section"];

    [Fact]
    public void Parse_BadRows_GetAnErrorEach()
    {
        var csv = """
            email,name,role,cohort
            good@demo.test,Good Student,student,Monday section
            not-an-email,Bad Email,student,Monday section
            wizard@demo.test,Wizard,wizard,Monday section
            friday@demo.test,Friday Student,student,Friday section
            good@demo.test,Good Again,student,Monday section
            nocohort@demo.test,No Cohort,student,
            helper@demo.test,Helper,Grader,
            """;

        var preview = RosterImport.Parse(csv, Cohorts);

        Assert.Null(preview.FileError);
        Assert.Equal(7, preview.Rows.Count);
        Assert.Equal(2, preview.Valid);
        string? ErrorOf(string name) => preview.Rows.Single(r => r.Name == name).Error;
        Assert.Null(ErrorOf("Good Student"));
        Assert.Equal("'not-an-email' is not an email address.", ErrorOf("Bad Email"));
        Assert.Equal("Role 'wizard' is not one of student, grader, teacher.", ErrorOf("Wizard"));
        Assert.StartsWith("The course has no cohort 'Friday section'", ErrorOf("Friday Student"));
        Assert.Equal("good@demo.test appears twice in the file.", ErrorOf("Good Again"));
        Assert.Equal("A student needs a cohort.", ErrorOf("No Cohort"));
        Assert.Null(ErrorOf("Helper"));
        Assert.Equal(CourseRole.Grader, preview.Rows.Single(r => r.Name == "Helper").Role);
    }

    [Theory]
    [InlineData("")]
    [InlineData("name,role\nAda,student\n")]
    public void Parse_WithoutEmailHeader_ExplainsTheFormat(string csv)
    {
        var preview = RosterImport.Parse(csv, Cohorts);

        Assert.Empty(preview.Rows);
        Assert.StartsWith("The first line must be a header naming at least an 'email' column", preview.FileError);
    }

    [Fact]
    public async Task ApplyAsync_AsTeacher_EnrollsGoodRowsAndCreatesAccounts()
    {
        var demo = await portal.DemoAsync();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var csv = $"""
            Email, Name, Role, Cohort
            new1-{tag}@demo.test,New One,student,Thursday section
            new2-{tag}@demo.test,New Two,grader,
            ada@demo.test,Ada Lovelace,student,Thursday section
            bad-{tag},Bad,student,Monday section
            """;
        var preview = RosterImport.Parse(csv, Cohorts);

        var result = await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => s.GetRequiredService<RosterImport>().ApplyAsync(demo.CourseId, preview));

        Assert.Equal(3, result.Enrolled);
        Assert.Equal(2, result.AccountsCreated);
        Assert.Equal($"bad-{tag}", Assert.Single(result.Failed).Email);
        var enrolled = await portal.WithDbAsync(db => db.Enrollments.IgnoreQueryFilters().Where(e => e.CourseId == demo.CourseId)
            .Select(e => new { e.User!.Email, e.User.TenantId, e.Role, Cohort = e.Cohort != null ? e.Cohort.Name : null }).ToListAsync());
        var one = enrolled.Single(e => e.Email == $"new1-{tag}@demo.test");
        Assert.Equal((CourseRole.Student, "Thursday section", demo.TenantId), (one.Role, one.Cohort, one.TenantId!.Value));
        Assert.Equal(CourseRole.Grader, enrolled.Single(e => e.Email == $"new2-{tag}@demo.test").Role);
        // Ada had an account and an enrollment: moved to the roster's cohort, not duplicated.
        Assert.Equal("Thursday section", enrolled.Single(e => e.Email == "ada@demo.test").Cohort);
        Assert.DoesNotContain(enrolled, e => e.Email == $"bad-{tag}");
    }

    [Fact]
    public async Task ApplyAsync_AsStudent_IsForbiddenAndEnrollsNobody()
    {
        var demo = await portal.DemoAsync();
        var email = $"sneaky-{Guid.NewGuid():N}@demo.test";
        var preview = RosterImport.Parse($"email,name,role\n{email},Sneaky,teacher\n", Cohorts);

        await Assert.ThrowsAsync<ForbiddenException>(() =>
            portal.AsAsync(PortalFactory.Demo, "student@demo.test", s => s.GetRequiredService<RosterImport>().ApplyAsync(demo.CourseId, preview)));

        Assert.False(await portal.WithDbAsync(db => db.Users.IgnoreQueryFilters().AnyAsync(u => u.Email == email)));
    }

    [Fact]
    public async Task EnrollAsync_EmailOfAnotherSchoolsAccount_CreatesASeparateAccountHere()
    {
        var demo = await portal.DemoAsync();
        var other = await portal.OtherSchoolAsync();

        var result = await portal.AsAsync(PortalFactory.Demo, "teacher@demo.test", s => s.GetRequiredService<CourseService>()
            .EnrollAsync(demo.CourseId, "grader@other.test", "Same Email", CourseRole.Grader, null));

        Assert.True(result.AccountCreated);
        Assert.NotEqual(other.GraderId, result.UserId);
        var here = await portal.FindUserAsync("grader@other.test", PortalFactory.Demo);
        var there = await portal.FindUserAsync("grader@other.test", OtherSchool.Slug);
        Assert.Equal(result.UserId, here.Id);
        Assert.Equal(other.GraderId, there.Id);
        Assert.Equal("Oona Grader", there.DisplayName);
    }
}
