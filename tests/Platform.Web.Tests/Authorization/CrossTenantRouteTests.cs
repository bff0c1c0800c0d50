using Microsoft.EntityFrameworkCore;
using Platform.Data.Entities;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Authorization;

/// <summary>
/// Every address of the authorization matrix that carries an id, asked with the other school's ids
/// by each member of the demo school, through the demo school's own prefix (where their session is
/// valid): the ids are real, the school is not theirs, and nothing of the other school may show.
/// </summary>
public sealed class CrossTenantRouteTests(AuthorizationPortal portal) : IClassFixture<AuthorizationPortal>
{
    private static readonly string[] DemoMembers = ["student", "classmate", "grader", "teacher", "school-admin"];

    public static TheoryData<string, string> Rows()
    {
        var rows = new TheoryData<string, string>();
        var probe = new MatrixData(new DemoSchool(Guid.Empty, Marker, []), null!, Marker, Marker, Marker, Marker, Marker, Marker);
        foreach (var route in EndpointAuthorizationTests.Routes.Where(r => r.Path(probe).Contains(Marker.ToString(), StringComparison.Ordinal)))
            foreach (var actor in DemoMembers)
                rows.Add(route.Name, actor);
        return rows;
    }

    /// <summary>Stands for any id while finding out which routes carry one.</summary>
    private static readonly Guid Marker = Guid.Parse("0badc0de-0000-4000-8000-000000000001");

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Get_OtherSchoolsIds_ThroughOwnSchool_Refused(string routeName, string actorName)
    {
        var foreign = await OtherSchoolsIdsAsync();
        var route = EndpointAuthorizationTests.Routes.Single(r => r.Name == routeName);
        using var client = portal.ClientWithSession(await portal.SessionOfAsync(Actors.Named(actorName)));

        var response = await client.GetAsync(route.Path(foreign));

        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(OtherSchool.Secret, body);
        Assert.DoesNotContain("Other's secret course", body);
        Assert.DoesNotContain("Oscar Student", body);
        await EndpointAuthorizationTests.AssertRefusedAsync(response);
    }

    /// <summary>The matrix's data with every id swapped for the other school's row of the same kind.</summary>
    private async Task<MatrixData> OtherSchoolsIdsAsync()
    {
        var data = await portal.DataAsync();
        var other = data.Other;
        var (cohortId, labImageId) = await portal.WithDbAsync(async db =>
        {
            var cohort = await db.Cohorts.IgnoreQueryFilters().Where(c => c.CourseId == other.CourseId).Select(c => c.Id).FirstAsync();
            var image = await db.LabImages.IgnoreQueryFilters().Where(i => i.CourseId == other.CourseId).Select(i => (Guid?)i.Id).FirstOrDefaultAsync();
            if (image is null)
            {
                var course = await db.Courses.IgnoreQueryFilters().SingleAsync(c => c.Id == other.CourseId);
                var created = new LabImage(course, "secret-image", "1");
                db.LabImages.Add(created);
                await db.SaveChangesAsync();
                image = created.Id;
            }
            return (cohort, image.Value);
        });
        return new MatrixData(new DemoSchool(other.TenantId, other.CourseId, [other.AssignmentId]), other,
            other.AssignmentId, other.SubmissionId, other.FileId, other.StudentId, cohortId, labImageId);
    }
}
