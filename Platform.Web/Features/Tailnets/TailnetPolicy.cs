using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Web.Features.Tailnets;

/// <summary>A cohort as the policy sees it: its Headscale user and the course whose servers it reaches.</summary>
public sealed record PolicyCohort(string HeadscaleUser, Guid CourseId);

/// <summary>
/// Writes the tailnet's ACL policy (Headscale's policy format, HuJSON) from the school's cohorts.
/// Deny by default: the only rules are, per cohort, "this cohort's nodes reach this cohort's nodes
/// and the servers tagged for its course". Nothing reaches across cohorts, and course servers start
/// no connection of their own (replies to a student's connection are allowed: the filter is stateful).
/// </summary>
public static class TailnetPolicy
{
    public const string Header = "// Written by WebVM Classroom from its cohorts; changes made here are overwritten.";

    /// <summary>The tag a teacher gives a course's servers, e.g. <c>tailscale up --advertise-tags=tag:course-…</c>.</summary>
    public static string CourseTag(Guid courseId) => $"tag:course-{courseId:N}";

    /// <summary>Headscale's policy names a user with a trailing '@' (policy format v2, Headscale ≥ 0.26).</summary>
    public static string UserRef(string headscaleUser) => headscaleUser + "@";

    public static string Generate(IEnumerable<PolicyCohort> cohorts)
    {
        var ordered = cohorts.DistinctBy(c => c.HeadscaleUser).OrderBy(c => c.HeadscaleUser, StringComparer.Ordinal).ToList();

        // Only the API (the portal, or an admin's CLI) tags a node: an empty owner list lets no user
        // tag their own machine as a course server.
        var tagOwners = new JsonObject();
        foreach (var course in ordered.Select(c => c.CourseId).Distinct().OrderBy(id => id.ToString("N"), StringComparer.Ordinal))
            tagOwners[CourseTag(course)] = new JsonArray();

        var acls = new JsonArray();
        foreach (var cohort in ordered)
        {
            acls.Add(new JsonObject
            {
                ["action"] = "accept",
                ["src"] = new JsonArray(UserRef(cohort.HeadscaleUser)),
                ["dst"] = new JsonArray(UserRef(cohort.HeadscaleUser) + ":*", CourseTag(cohort.CourseId) + ":*"),
            });
        }

        var policy = new JsonObject
        {
            ["groups"] = new JsonObject(),
            ["tagOwners"] = tagOwners,
            ["acls"] = acls,
        };
        var text = new StringBuilder().AppendLine(Header)
            .Append(policy.ToJsonString(new JsonSerializerOptions { WriteIndented = true }))
            .AppendLine();
        return text.ToString();
    }
}
