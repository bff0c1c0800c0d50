using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.Entities;
using Platform.Web.Authorization;
using Platform.Web.Features.Courses;
using Platform.Web.Features.Tailnets.Headscale;
using Platform.Web.Jobs;
using Platform.Web.Tenancy;

namespace Platform.Web.Features.Tailnets;

public sealed record TailnetSettingsView(bool Connected, string? Url, DateTimeOffset? KeySetAt, DateTimeOffset? LastCheckedAt,
    bool? LastCheckOk, string? LastCheckMessage, string? ServerVersion);

public enum ConnectionStatus { NotConnected, Unreachable, BadKey, Incompatible, Ok }

public sealed record ConnectionCheck(ConnectionStatus Status, string Message, string? Version);

public sealed record CohortNetworkRow(Guid CohortId, string Cohort, Guid CourseId, string CourseCode, bool Archived, int Students,
    TailnetState? State, string? LastError);

public sealed record NodeRow(string Id, string Name, string? Owner, IReadOnlyList<string> Addresses, bool Online, DateTimeOffset? LastSeen,
    DateTimeOffset? Expiry, bool Expired);

public sealed record TailnetJobRow(Guid Id, string Kind, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, int Attempts, string? LastError);

public sealed record CohortNetworkView(Guid CohortId, string Cohort, Guid CourseId, string CourseCode, string CourseTitle, bool Archived,
    bool Connected, string? ServerUrl, string HeadscaleUser, string CourseTag, TailnetState? State, string? LastError,
    IReadOnlyList<NodeRow> Nodes, IReadOnlyList<NodeRow> CourseServers, string? LiveError, IReadOnlyList<TailnetJobRow> Jobs);

/// <summary>A key for one lab session: joins the student's machine to their cohort's tailnet once, then expires.</summary>
public sealed record LabKey(string Key, string LoginServer, DateTimeOffset ExpiresAt, string Cohort)
{
    // Never printed by accident (logs, exception messages): only the fields a page shows on purpose.
    public override string ToString() => $"LabKey for {Cohort}, expires {ExpiresAt:O}";
}

/// <summary>What pages and endpoints ask of the cohort networks; every rule of who may do what is here.</summary>
public sealed class TailnetService(
    IDbContextFactory<PlatformDbContext> contexts,
    CurrentUser user,
    RequestTenant tenant,
    CourseAccess access,
    TailnetKeyProtector protector,
    TailnetConnections connections,
    HeadscaleClient headscale,
    JobQueue jobs,
    TimeProvider clock,
    IOptions<TailnetOptions> options)
{
    public const string ProvisionKind = "tailnet.provision-cohort";
    public const string CleanupKind = "tailnet.cleanup-cohort";
    public const string SweepKind = "tailnet.sweep";

    // ---- Settings: school admins only ----------------------------------------------------------

    public async Task<TailnetSettingsView> GetSettingsAsync()
    {
        RequireAdmin();
        await using var db = await contexts.CreateDbContextAsync();
        var row = await db.TailnetServers.AsNoTracking().SingleOrDefaultAsync();
        return row is null
            ? new TailnetSettingsView(false, null, null, null, null, null, null)
            : new TailnetSettingsView(true, row.Url, row.ApiKeySetAt, row.LastCheckedAt, row.LastCheckOk, row.LastCheckMessage, row.ServerVersion);
    }

    /// <summary>Connects the school's Headscale; a blank key keeps the stored one. Then every cohort is provisioned.</summary>
    public async Task SaveSettingsAsync(string url, string? apiKey)
    {
        RequireAdmin();
        var tenantId = tenant.TenantId!.Value;
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            throw new InvalidInputException("The server address is a full http or https URL, e.g. https://headscale.school.example.");
        var protectedKey = string.IsNullOrWhiteSpace(apiKey) ? null : protector.Protect(tenantId, apiKey);
        await using var db = await contexts.CreateDbContextAsync();
        var row = await db.TailnetServers.SingleOrDefaultAsync();
        if (row is null)
        {
            if (protectedKey is null)
                throw new InvalidInputException("Paste the API key made with `headscale apikeys create`.");
            db.TailnetServers.Add(new TailnetServer(tenantId, address, protectedKey, clock.GetUtcNow()));
        }
        else
            row.Connect(address, protectedKey, clock.GetUtcNow());
        await db.SaveChangesAsync();
        await jobs.EnqueueAsync(SweepKind, new { }, tenantId);
    }

    /// <summary>Forgets the server and its key. Headscale itself is left as it is.</summary>
    public async Task DisconnectAsync()
    {
        RequireAdmin();
        await using var db = await contexts.CreateDbContextAsync();
        await db.TailnetServers.ExecuteDeleteAsync();
    }

    /// <summary>Health and version of the connected server, in words a school admin can act on; the outcome is kept.</summary>
    public async Task<ConnectionCheck> TestConnectionAsync(CancellationToken ct = default)
    {
        RequireAdmin();
        HeadscaleServer? server;
        try
        {
            server = await connections.GetAsync(ct);
        }
        catch (HeadscaleException e)
        {
            return await RecordAsync(new ConnectionCheck(ConnectionStatus.BadKey, e.Message, null));
        }
        if (server is null)
            return new ConnectionCheck(ConnectionStatus.NotConnected, "No network server is connected.", null);

        ConnectionCheck check;
        try
        {
            var healthy = await headscale.HealthAsync(server, ct);
            var version = await headscale.VersionAsync(server, ct);
            check = !healthy
                ? new ConnectionCheck(ConnectionStatus.Unreachable, "Headscale answered but reports that its database is unreachable.", version)
                : !IsCompatible(version, options.Value.MinimumVersion)
                    ? new ConnectionCheck(ConnectionStatus.Incompatible,
                        $"Headscale {version} is older than {options.Value.MinimumVersion}, the oldest this portal works with. Upgrade the server.", version)
                    : new ConnectionCheck(ConnectionStatus.Ok,
                        version is null ? "Connected. Headscale did not tell its version." : $"Connected to Headscale {version}.", version);
        }
        catch (HeadscaleException e)
        {
            check = e.Failure switch
            {
                HeadscaleFailure.Unauthorized => new ConnectionCheck(ConnectionStatus.BadKey, e.Message, null),
                // Headscale before 0.26 has no /api/v1/health: the API is not the one this portal speaks.
                HeadscaleFailure.NotFound or HeadscaleFailure.BadResponse => new ConnectionCheck(ConnectionStatus.Incompatible,
                    $"The server at {server.BaseUrl.Authority} does not offer Headscale's API v1 health call; it is not Headscale {options.Value.MinimumVersion} or newer.", null),
                _ => new ConnectionCheck(ConnectionStatus.Unreachable, e.Message, null),
            };
        }
        return await RecordAsync(check);
    }

    /// <summary>Every cohort of the school with the state of its network.</summary>
    public async Task<IReadOnlyList<CohortNetworkRow>> ListCohortsAsync()
    {
        RequireAdmin();
        await using var db = await contexts.CreateDbContextAsync();
        var tailnets = await db.CohortTailnets.AsNoTracking().ToDictionaryAsync(t => t.CohortId);
        var rows = await db.Cohorts.AsNoTracking()
            .OrderBy(c => c.Course!.Code).ThenBy(c => c.Name)
            .Select(c => new { c.Id, c.Name, c.CourseId, c.Course!.Code, c.ArchivedAt, Students = db.Enrollments.Count(e => e.CohortId == c.Id && e.Role == CourseRole.Student) })
            .ToListAsync();
        return rows.Select(c =>
        {
            var t = tailnets.GetValueOrDefault(c.Id);
            return new CohortNetworkRow(c.Id, c.Name, c.CourseId, c.Code, c.ArchivedAt is not null, c.Students, t?.State, t?.LastError);
        }).ToList();
    }

    public async Task<IReadOnlyList<TailnetJobRow>> RecentJobsAsync(Guid? cohortId = null, int take = 15)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var query = db.JobIntents.AsNoTracking().Where(j => j.TenantId == tenant.TenantId && j.Kind.StartsWith("tailnet."));
        if (cohortId is { } id)
            query = query.Where(j => j.Kind == SweepKind || j.Payload.Contains(id.ToString()));
        return await query.OrderByDescending(j => j.CreatedAt).Take(take)
            .Select(j => new TailnetJobRow(j.Id, j.Kind, j.CreatedAt, j.CompletedAt, j.Attempts, j.LastError))
            .ToListAsync();
    }

    // ---- A cohort's network: the course's teachers and school admins ------------------------

    public async Task<CohortNetworkView> GetCohortNetworkAsync(Guid cohortId, CancellationToken ct = default)
    {
        var cohort = await RequireTeachAsync(cohortId);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var tailnet = await db.CohortTailnets.AsNoTracking().SingleOrDefaultAsync(t => t.CohortId == cohortId, ct);
        var userName = tailnet?.HeadscaleUser ?? CohortTailnet.UserNameFor(tenant.Slug!, cohortId);
        var courseTag = TailnetPolicy.CourseTag(cohort.CourseId);
        var nodes = new List<NodeRow>();
        var servers = new List<NodeRow>();
        string? liveError = null;
        string? url = null;
        var connected = false;
        try
        {
            var server = await connections.GetAsync(ct);
            connected = server is not null;
            url = server?.BaseUrl.ToString();
            if (server is not null && tailnet?.State is TailnetState.Ready or TailnetState.Failed)
            {
                var owners = await db.TailnetLabKeys.AsNoTracking().Where(k => k.CohortId == cohortId)
                    .Join(db.Users, k => k.StudentId, u => u.Id, (k, u) => new { k.HeadscaleKeyId, u.DisplayName })
                    .ToDictionaryAsync(k => k.HeadscaleKeyId, k => k.DisplayName, ct);
                var now = clock.GetUtcNow();
                foreach (var node in await headscale.ListNodesAsync(server, null, ct))
                {
                    var owner = node.PreAuthKey?.Id is { } keyId ? owners.GetValueOrDefault(keyId) : null;
                    var row = new NodeRow(node.Id, node.DisplayName, owner, node.IpAddresses ?? [], node.Online, node.LastSeen, node.Expiry, node.IsExpired(now));
                    if (node.Tags?.Contains(courseTag) == true)
                        servers.Add(row);
                    else if (node.User?.Name == userName)
                        nodes.Add(row);
                }
            }
        }
        catch (HeadscaleException e)
        {
            liveError = e.Message;
        }
        var jobRows = await RecentJobsAsync(cohortId, 10);
        return new CohortNetworkView(cohort.Id, cohort.Name, cohort.CourseId, cohort.Course!.Code, cohort.Course.Title, cohort.ArchivedAt is not null,
            connected, url, userName, courseTag, tailnet?.State, tailnet?.LastError, nodes, servers, liveError, jobRows);
    }

    /// <summary>Asks for the cohort's network now (it is also made by the hourly sweep).</summary>
    public async Task RequestProvisionAsync(Guid cohortId)
    {
        var cohort = await RequireTeachAsync(cohortId);
        if (cohort.ArchivedAt is not null)
            throw new InvalidInputException("The cohort is archived; its network was taken down.");
        await jobs.EnqueueAsync(ProvisionKind, new { cohortId }, tenant.TenantId);
    }

    /// <summary>Logs one machine of the cohort out of the network now; it needs a new lab key to join again.</summary>
    public async Task ExpireNodeAsync(Guid cohortId, string nodeId, CancellationToken ct = default)
    {
        await RequireTeachAsync(cohortId);
        var (server, tailnet) = await ReadyAsync(cohortId, ct);
        var node = (await headscale.ListNodesAsync(server, tailnet.HeadscaleUser, ct)).SingleOrDefault(n => n.Id == nodeId)
            ?? throw new NotFoundException("The cohort's network has no such machine.");
        await headscale.ExpireNodeAsync(server, node.Id, ct);
    }

    /// <summary>Invalidates every key issued for the cohort that has not been used yet; new lab sessions get new ones.</summary>
    public async Task<int> RotateKeysAsync(Guid cohortId, CancellationToken ct = default)
    {
        await RequireTeachAsync(cohortId);
        var (server, tailnet) = await ReadyAsync(cohortId, ct);
        var now = clock.GetUtcNow();
        var live = (await headscale.ListPreAuthKeysAsync(server, ct))
            .Where(k => k.User?.Id == tailnet.HeadscaleUserId && !k.Used && (k.Expiration is null || k.Expiration > now))
            .ToList();
        foreach (var key in live)
            await headscale.ExpirePreAuthKeyAsync(server, key.Id, ct);
        return live.Count;
    }

    /// <summary>Ends a cohort: it takes no new lab sessions and its network is taken down by a job.</summary>
    public async Task ArchiveCohortAsync(Guid cohortId)
    {
        await RequireTeachAsync(cohortId);
        await using var db = await contexts.CreateDbContextAsync();
        var cohort = await db.Cohorts.SingleAsync(c => c.Id == cohortId);
        cohort.Archive(clock.GetUtcNow());
        await db.SaveChangesAsync();
        if (await db.CohortTailnets.AnyAsync(t => t.CohortId == cohortId))
            await jobs.EnqueueAsync(CleanupKind, new { cohortId }, tenant.TenantId);
    }

    // ---- Lab sessions: the student themself ----------------------------------------------------

    /// <summary>
    /// Issues an ephemeral, single-use, short-lived pre-auth key for the signed-in student's lab
    /// session of <paramref name="assignmentId"/>, in their own cohort's tailnet. Only a student
    /// enrolled in the assignment's course, in a cohort, gets one; the key goes back to that caller
    /// only and is never stored or logged.
    /// </summary>
    public async Task<LabKey> IssueLabKeyAsync(Guid assignmentId, CancellationToken ct = default)
    {
        var studentId = user.RequireId();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var courseId = await db.Assignments.Where(a => a.Id == assignmentId).Select(a => (Guid?)a.CourseId).SingleOrDefaultAsync(ct)
            ?? throw new NotFoundException("There is no such assignment at this school.");
        // Students only: staff and admins join course servers through Headscale directly, not lab keys.
        await access.RequireAsync(courseId, CourseOperations.Submit);
        var cohort = await db.Enrollments.Where(e => e.CourseId == courseId && e.UserId == studentId && e.Role == CourseRole.Student)
            .Select(e => e.Cohort).SingleOrDefaultAsync(ct)
            ?? throw new InvalidInputException("You are in no cohort of this course, so your lab has no network. Ask your teacher to put you in one.");
        if (cohort.ArchivedAt is not null)
            throw new InvalidInputException("Your cohort is archived; its network is closed.");
        var (server, tailnet) = await ReadyAsync(cohort.Id, ct);

        var now = clock.GetUtcNow();
        var expiresAt = now + options.Value.LabKeyLifetime;
        var key = await headscale.CreatePreAuthKeyAsync(server, tailnet.HeadscaleUserId!, reusable: false, ephemeral: true, expiresAt, [], ct);
        db.TailnetLabKeys.Add(new TailnetLabKey(tailnet, studentId, assignmentId, key.Id, now, expiresAt));
        await db.SaveChangesAsync(ct);
        return new LabKey(key.Key ?? throw new HeadscaleException(HeadscaleFailure.BadResponse, "The network server returned no key.", null),
            server.BaseUrl.ToString(), key.Expiration ?? expiresAt, cohort.Name);
    }

    // ---- Rules --------------------------------------------------------------------------------

    private void RequireAdmin()
    {
        // Only a school admin connects the school's network server: the key controls every cohort's network.
        if (!user.IsTenantAdmin)
            throw new ForbiddenException("Only school admins manage the network server.");
    }

    private async Task<Cohort> RequireTeachAsync(Guid cohortId)
    {
        await using var db = await contexts.CreateDbContextAsync();
        // The query filter hides other schools' cohorts: they are "not found" here, never "forbidden".
        var cohort = await db.Cohorts.AsNoTracking().Include(c => c.Course).SingleOrDefaultAsync(c => c.Id == cohortId)
            ?? throw new NotFoundException("There is no such cohort at this school.");
        await access.RequireAsync(cohort.CourseId, CourseOperations.Teach);
        return cohort;
    }

    private async Task<(HeadscaleServer Server, CohortTailnet Tailnet)> ReadyAsync(Guid cohortId, CancellationToken ct)
    {
        var server = await connections.GetAsync(ct)
            ?? throw new InvalidInputException("This school has no network server connected, so labs run without a network.");
        await using var db = await contexts.CreateDbContextAsync(ct);
        var tailnet = await db.CohortTailnets.AsNoTracking().SingleOrDefaultAsync(t => t.CohortId == cohortId, ct);
        if (tailnet is not { State: TailnetState.Ready, HeadscaleUserId: not null })
            throw new InvalidInputException("The cohort's network is not ready yet; try again in a minute.");
        return (server, tailnet);
    }

    private async Task<ConnectionCheck> RecordAsync(ConnectionCheck check)
    {
        await using var db = await contexts.CreateDbContextAsync();
        if (await db.TailnetServers.SingleOrDefaultAsync() is { } row)
        {
            row.Checked(check.Status == ConnectionStatus.Ok, check.Message, check.Version, clock.GetUtcNow());
            await db.SaveChangesAsync();
        }
        return check;
    }

    /// <summary>Compares "v0.29.2" or "0.29.2-beta1" with a minimum; a version that does not parse (a dev build) passes.</summary>
    public static bool IsCompatible(string? version, string minimum)
    {
        if (version is null)
            return true;
        var core = version.Trim().TrimStart('v', 'V').Split('-', '+')[0];
        return !Version.TryParse(core, out var parsed) || parsed >= Version.Parse(minimum);
    }
}
