using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Submissions;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Authorization;

/// <summary>The demo school plus the rows the authorization matrix acts on, made once per test class.</summary>
public sealed class AuthorizationPortal : PortalFactory
{
    public const string FileMarker = "DEMO-STUDENT-WORK-5c1e";
    private readonly Lazy<Task<MatrixData>> _data;

    public AuthorizationPortal() => _data = new(CreateDataAsync);

    public Task<MatrixData> DataAsync() => _data.Value;

    private async Task<MatrixData> CreateDataAsync()
    {
        var demo = await DemoAsync();
        var other = await OtherSchoolAsync();
        var assignment = await CreateAssignmentAsync(demo.CourseId, points: 10);
        var receipt = await AsAsync(Demo, "student@demo.test", services => services.GetRequiredService<SubmissionService>().SubmitAsync(
            assignment.Id, "matrix-1", [new IncomingFile("work.c", () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes($"/* {FileMarker} */\n")))], SubmissionSource.Upload));
        var fileId = await WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Submissions).Where(s => s.Id == receipt.SubmissionId).SelectMany(s => s.Files).Select(f => f.Id)));
        var student = await FindUserAsync("student@demo.test");
        var cohortId = await WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Cohorts).Where(c => c.CourseId == demo.CourseId).Select(c => c.Id)));
        var labImageId = await WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.LabImages).Where(i => i.CourseId == demo.CourseId).Select(i => i.Id)));
        return new MatrixData(demo, other, assignment.Id, receipt.SubmissionId, fileId, student.Id, cohortId, labImageId);
    }
}

public sealed record MatrixData(DemoSchool Demo, OtherSchool Other, Guid AssignmentId, Guid SubmissionId, Guid FileId, Guid StudentId, Guid CohortId, Guid LabImageId);
