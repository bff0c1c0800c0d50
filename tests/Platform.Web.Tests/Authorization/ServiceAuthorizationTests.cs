using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Assignments;
using Platform.Web.Features.Courses;
using Platform.Web.Features.Grading;
using Platform.Web.Features.People;
using Platform.Web.Features.Tenants;
using Platform.Web.Tenancy;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Authorization;

/// <summary>
/// The services pages and endpoints share, called as each role in a request of the demo school (or,
/// for schools themselves, of the platform), on the demo school's rows and on another school's.
/// </summary>
public sealed class ServiceAuthorizationTests(AuthorizationPortal portal) : IClassFixture<AuthorizationPortal>
{
    public enum Target { OwnSchool, OtherSchool }

    /// <summary>An operation, who may do it, and whether it takes a course/assignment (and so has an other-school row).</summary>
    private sealed record Operation(string Name, string[] Allowed, bool HasTarget, Func<IServiceProvider, MatrixData, Target, Task> Run, bool PlatformScope = false);

    private static readonly string[] Teachers = ["teacher", "school-admin"];
    private static readonly string[] Graders = ["grader", "teacher", "school-admin"];

    private static Guid Course(MatrixData d, Target t) => t == Target.OwnSchool ? d.Demo.CourseId : d.Other.CourseId;
    private static Guid AssignmentOf(MatrixData d, Target t) => t == Target.OwnSchool ? d.AssignmentId : d.Other.AssignmentId;
    private static string Unique() => Guid.NewGuid().ToString("N")[..10];

    private static readonly IReadOnlyList<Operation> Operations =
    [
        new("CourseService.CreateAsync", Teachers, false,
            (s, _, _) => s.GetRequiredService<CourseService>().CreateAsync("C" + Unique(), "A new course", "")),
        new("CourseService.AddCohortAsync", Teachers, true,
            (s, d, t) => s.GetRequiredService<CourseService>().AddCohortAsync(Course(d, t), "Cohort " + Unique())),
        new("CourseService.EnrollAsync", Teachers, true,
            (s, d, t) => s.GetRequiredService<CourseService>().EnrollAsync(Course(d, t), $"new-{Unique()}@demo.test", "New Person", CourseRole.Student, null)),
        new("CourseService.MembersAsync", Graders, true,
            (s, d, t) => s.GetRequiredService<CourseService>().MembersAsync(Course(d, t))),
        new("AssignmentService.SaveAsync", Teachers, true,
            (s, d, t) => s.GetRequiredService<AssignmentService>().SaveAsync(Course(d, t), null,
                new AssignmentInput("", "Assignment " + Unique(), "", DateTimeOffset.UtcNow.AddDays(3), 10, null, 1, 10))),
        new("AssignmentService.GrantExtensionAsync", Teachers, true,
            (s, d, t) => s.GetRequiredService<AssignmentService>().GrantExtensionAsync(AssignmentOf(d, t),
                t == Target.OwnSchool ? d.StudentId : d.Other.StudentId, DateTimeOffset.UtcNow.AddDays(30 + Random.Shared.Next(100)), "illness")),
        new("GradingService.GradeAsync", Graders, true,
            (s, d, t) => s.GetRequiredService<GradingService>().GradeAsync(t == Target.OwnSchool ? d.SubmissionId : d.Other.SubmissionId, [7], "ok", release: false)),
        new("GradingService.ReleaseAllAsync", Graders, true,
            (s, d, t) => s.GetRequiredService<GradingService>().ReleaseAllAsync(AssignmentOf(d, t))),
        new("GradingService.GradebookAsync", Graders, true,
            (s, d, t) => s.GetRequiredService<GradingService>().GradebookAsync(Course(d, t))),
        new("GradingService.QueueAsync", Graders, true,
            (s, d, t) => s.GetRequiredService<GradingService>().QueueAsync(AssignmentOf(d, t))),
        new("PeopleService.ListAsync", ["school-admin"], false,
            (s, _, _) => s.GetRequiredService<PeopleService>().ListAsync()),
        new("PeopleService.InviteAsync", ["school-admin"], false,
            (s, _, _) => s.GetRequiredService<PeopleService>().InviteAsync($"invited-{Unique()}@demo.test", "Invited", false, "http://localhost/t/demo/account/reset-password")),
        new("TenantService.ListAsync", ["platform-admin"], false,
            (s, _, _) => s.GetRequiredService<TenantService>().ListAsync(), PlatformScope: true),
        new("TenantService.CreateAsync", ["platform-admin"], false,
            (s, _, _) => s.GetRequiredService<TenantService>().CreateAsync("school-" + Unique(), "New School", $"head-{Unique()}@new.test", "Head"), PlatformScope: true),
    ];

    public static TheoryData<string, string, Target> Rows()
    {
        var rows = new TheoryData<string, string, Target>();
        foreach (var operation in Operations)
            foreach (var actor in Actors.All)
            {
                rows.Add(operation.Name, actor.Name, Target.OwnSchool);
                if (operation.HasTarget)
                    rows.Add(operation.Name, actor.Name, Target.OtherSchool);
            }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Service_ByActor_AllowedOnlyForItsRolesInItsSchool(string operationName, string actorName, Target target)
    {
        var data = await portal.DataAsync();
        var operation = Operations.Single(o => o.Name == operationName);
        var actor = Actors.Named(actorName);
        var allowed = target == Target.OwnSchool && operation.Allowed.Contains(actorName);

        var error = await Record.ExceptionAsync(() =>
            portal.AsAsync(operation.PlatformScope ? null : PortalFactory.Demo, actor, services => operation.Run(services, data, target)));

        if (allowed)
            Assert.Null(error);
        else
            Assert.True(error is ForbiddenException or NotFoundException, $"Expected a refusal, got {error?.GetType().Name ?? "success"}: {error?.Message}");
    }
}
