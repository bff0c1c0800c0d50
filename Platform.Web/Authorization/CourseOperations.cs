using Microsoft.AspNetCore.Authorization.Infrastructure;

namespace Platform.Web.Authorization;

/// <summary>What a person can do in a course; checked against <see cref="CourseAuthorizationHandler"/>.</summary>
public static class CourseOperations
{
    public static readonly OperationAuthorizationRequirement View = new() { Name = nameof(View) };
    public static readonly OperationAuthorizationRequirement Teach = new() { Name = nameof(Teach) };
    public static readonly OperationAuthorizationRequirement Grade = new() { Name = nameof(Grade) };
    public static readonly OperationAuthorizationRequirement Submit = new() { Name = nameof(Submit) };
}

/// <summary>The course an operation is asked about, with the tenant it belongs to.</summary>
public sealed record CourseResource(Guid TenantId, Guid CourseId);
