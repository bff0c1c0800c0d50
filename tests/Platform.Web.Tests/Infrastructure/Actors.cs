namespace Platform.Web.Tests.Infrastructure;

/// <summary>Someone acting on the portal: their account's school (null: platform account) and email (null: anonymous).</summary>
public sealed record Actor(string Name, string? Tenant, string? Email)
{
    public override string ToString() => Name;
}

/// <summary>The roles the authorization tests run through, in the demo school and outside it.</summary>
public static class Actors
{
    public static readonly Actor Anonymous = new("anonymous", null, null);
    /// <summary>The demo student whose work the tests look at.</summary>
    public static readonly Actor Student = new("student", PortalFactory.Demo, "student@demo.test");
    /// <summary>Another student of the same course.</summary>
    public static readonly Actor Classmate = new("classmate", PortalFactory.Demo, "ada@demo.test");
    public static readonly Actor Grader = new("grader", PortalFactory.Demo, "grader@demo.test");
    public static readonly Actor Teacher = new("teacher", PortalFactory.Demo, "teacher@demo.test");
    public static readonly Actor SchoolAdmin = new("school-admin", PortalFactory.Demo, "admin@demo.test");
    public static readonly Actor PlatformAdmin = new("platform-admin", null, "admin@platform.test");
    public static readonly Actor OtherStudent = new("other-school-student", OtherSchool.Slug, "student@demo.test");
    public static readonly Actor OtherTeacher = new("other-school-teacher", OtherSchool.Slug, "teacher@other.test");
    public static readonly Actor OtherAdmin = new("other-school-admin", OtherSchool.Slug, "admin@other.test");

    public static readonly IReadOnlyList<Actor> All =
        [Anonymous, Student, Classmate, Grader, Teacher, SchoolAdmin, PlatformAdmin, OtherStudent, OtherTeacher, OtherAdmin];

    public static Actor Named(string name) => All.Single(a => a.Name == name);
}
