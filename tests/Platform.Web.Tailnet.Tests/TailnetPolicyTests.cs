using System.Text.Json;
using Platform.Web.Features.Tailnets;

namespace Platform.Web.Tailnet.Tests;

public sealed class TailnetPolicyTests
{
    private static readonly Guid Linux = Guid.NewGuid();
    private static readonly Guid Networks = Guid.NewGuid();
    private const string Monday = "demo-monday";
    private const string Thursday = "demo-thursday";
    private const string Evening = "demo-evening";

    private static readonly PolicyCohort[] School =
        [new(Monday, Linux), new(Thursday, Linux), new(Evening, Networks)];

    private static PolicyEvaluator Evaluate(IEnumerable<PolicyCohort> cohorts) => new(TailnetPolicy.Generate(cohorts));

    [Fact]
    public void Generate_IsHuJsonWithTheHeader_AndTheSameForTheSameCohorts()
    {
        var a = TailnetPolicy.Generate(School);
        var b = TailnetPolicy.Generate(School.Reverse());
        Assert.StartsWith("// ", a);
        Assert.Equal(a, b);
        using var parsed = PolicyEvaluator.Parse(a);
        Assert.Equal(3, parsed.RootElement.GetProperty("acls").GetArrayLength());
    }

    [Fact]
    public void Cohort_ReachesItsOwnNodes()
    {
        var policy = Evaluate(School);
        Assert.True(policy.CanReach(PolicyNode.Of(Monday), PolicyNode.Of(Monday)));
    }

    [Fact]
    public void TwoCohorts_AreIsolated_EvenInTheSameCourse()
    {
        var policy = Evaluate(School);
        Assert.False(policy.CanReach(PolicyNode.Of(Monday), PolicyNode.Of(Thursday)));
        Assert.False(policy.CanReach(PolicyNode.Of(Thursday), PolicyNode.Of(Monday)));
        Assert.False(policy.CanReach(PolicyNode.Of(Monday), PolicyNode.Of(Evening)));
    }

    [Fact]
    public void CourseServers_AreReachedByTheirCoursesCohorts_Only()
    {
        var policy = Evaluate(School);
        var linuxServer = PolicyNode.Server(TailnetPolicy.CourseTag(Linux));
        var networksServer = PolicyNode.Server(TailnetPolicy.CourseTag(Networks));
        Assert.True(policy.CanReach(PolicyNode.Of(Monday), linuxServer));
        Assert.True(policy.CanReach(PolicyNode.Of(Thursday), linuxServer));
        Assert.False(policy.CanReach(PolicyNode.Of(Evening), linuxServer));
        Assert.True(policy.CanReach(PolicyNode.Of(Evening), networksServer));
        Assert.False(policy.CanReach(PolicyNode.Of(Monday), networksServer));
    }

    [Fact]
    public void CourseServers_StartNoConnections_AndReachNoOtherServer()
    {
        var policy = Evaluate(School);
        var linuxServer = PolicyNode.Server(TailnetPolicy.CourseTag(Linux));
        Assert.False(policy.CanReach(linuxServer, PolicyNode.Of(Monday)));
        Assert.False(policy.CanReach(linuxServer, PolicyNode.Server(TailnetPolicy.CourseTag(Networks))));
    }

    [Fact]
    public void OnlyTheApi_TagsCourseServers()
    {
        using var parsed = PolicyEvaluator.Parse(TailnetPolicy.Generate(School));
        foreach (var owner in parsed.RootElement.GetProperty("tagOwners").EnumerateObject())
            Assert.Equal(0, owner.Value.GetArrayLength());
    }

    [Fact]
    public void NoCohorts_DeniesEverything()
    {
        var policy = Evaluate([]);
        Assert.False(policy.CanReach(PolicyNode.Of(Monday), PolicyNode.Of(Monday)));
    }

    [Fact]
    public void StudentMovedBetweenCohorts_ReachesTheNewCohortAndNotTheOld()
    {
        // A student's lab machine joins with a key of their cohort's Headscale user, so it is that user's node.
        // Moved from Monday to Thursday, their next machine is a Thursday node; the sweep expires the Monday one.
        var policy = Evaluate(School);
        var before = PolicyNode.Of(Monday);
        var after = PolicyNode.Of(Thursday);
        Assert.True(policy.CanReach(before, PolicyNode.Of(Monday)));
        Assert.False(policy.CanReach(after, PolicyNode.Of(Monday)));
        Assert.True(policy.CanReach(after, PolicyNode.Of(Thursday)));
    }

    [Fact]
    public void CohortArchived_LeavesThePolicy_AndItsCourseTagGoesWithItsLastCohort()
    {
        var withEvening = TailnetPolicy.Generate(School);
        var without = TailnetPolicy.Generate(School.Where(c => c.HeadscaleUser != Evening));
        Assert.NotEqual(withEvening, without);
        Assert.DoesNotContain(Evening, without);
        Assert.DoesNotContain(TailnetPolicy.CourseTag(Networks), without);
        Assert.Contains(TailnetPolicy.CourseTag(Linux), without);
    }
}

/// <summary>A node as the policy sees it: the Headscale user that owns it, or the tags it carries.</summary>
public sealed record PolicyNode(string? User, IReadOnlyList<string> Tags)
{
    public static PolicyNode Of(string user) => new(user, []);
    public static PolicyNode Server(string tag) => new(null, [tag]);
}

/// <summary>
/// Reads a generated policy the way Tailscale's ACL rules are defined: a connection from A to B is
/// allowed when some rule's src matches A and one of its dst matches B; everything else is denied.
/// Only the alias forms the generator writes are understood (user@, tag:…, with :* ports).
/// </summary>
public sealed class PolicyEvaluator(string policy)
{
    public static JsonDocument Parse(string text) =>
        JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });

    public bool CanReach(PolicyNode from, PolicyNode to)
    {
        using var document = Parse(policy);
        foreach (var acl in document.RootElement.GetProperty("acls").EnumerateArray())
        {
            Assert.Equal("accept", acl.GetProperty("action").GetString());
            var sources = acl.GetProperty("src").EnumerateArray().Select(s => s.GetString()!);
            var destinations = acl.GetProperty("dst").EnumerateArray().Select(d => d.GetString()!).Select(d =>
            {
                Assert.EndsWith(":*", d);
                return d[..^2];
            });
            if (sources.Any(s => Matches(s, from)) && destinations.Any(d => Matches(d, to)))
                return true;
        }
        return false;
    }

    // A tagged node has the identity of its tags, not of a user (Tailscale's rule, which Headscale follows).
    private static bool Matches(string alias, PolicyNode node) =>
        alias.StartsWith("tag:", StringComparison.Ordinal)
            ? node.Tags.Contains(alias)
            : alias.EndsWith('@') && node.Tags.Count == 0 && node.User + "@" == alias;
}
