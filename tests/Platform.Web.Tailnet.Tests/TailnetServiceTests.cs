using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Entities;
using Platform.Web.Features.Courses;
using Platform.Web.Features.Tailnets;
using Platform.Web.Features.Tailnets.Headscale;
using Platform.Web.Tailnet.Tests.Fakes;
using Platform.Web.Tailnet.Tests.Infrastructure;
using Platform.Web.Tenancy;

namespace Platform.Web.Tailnet.Tests;

/// <summary>
/// The cohort networks through the portal's own services and jobs, against
/// <see cref="SwaggerValidatingHeadscaleFake"/> (not a real Headscale). Each test makes its own
/// school, people and fake server, and asserts on those.
/// </summary>
public sealed class TailnetServiceTests(TailnetPortalFactory portal) : IClassFixture<TailnetPortalFactory>, IAsyncLifetime
{
    private SwaggerValidatingHeadscaleFake _fake = null!;

    public async Task InitializeAsync()
    {
        portal.Jobs.Clear();
        _fake = await SwaggerValidatingHeadscaleFake.StartAsync();
    }

    public async Task DisposeAsync()
    {
        Assert.Empty(_fake.Violations);
        await _fake.DisposeAsync();
    }

    private sealed record Setup(School School, PlatformUser Admin, PlatformUser Teacher, PlatformUser Red, PlatformUser Blue);

    /// <summary>A new school with an admin, a teacher, and a student in each cohort; connected to the fake when asked.</summary>
    private async Task<Setup> SchoolAsync(bool connect = true, bool provision = true)
    {
        var school = await portal.SchoolAsync("s-" + Guid.NewGuid().ToString("N")[..10]);
        var admin = await portal.CreateUserAsync(school.Slug, tenantAdmin: true);
        var teacher = await portal.CreateUserAsync(school.Slug, courseId: school.CourseId, role: CourseRole.Teacher);
        var red = await portal.CreateUserAsync(school.Slug, courseId: school.CourseId, cohortId: school.Cohorts[1]);
        var blue = await portal.CreateUserAsync(school.Slug, courseId: school.CourseId, cohortId: school.Cohorts[0]);
        var setup = new Setup(school, admin, teacher, red, blue);
        if (connect)
        {
            await AsAdmin(setup, t => t.SaveSettingsAsync(_fake.BaseUrl.ToString(), _fake.ApiKey));
            if (provision)
                await portal.RunQueuedJobsAsync();
        }
        return setup;
    }

    private Task AsAdmin(Setup s, Func<TailnetService, Task> action) =>
        portal.AsAsync(s.School.Slug, s.Admin.Email, sp => action(sp.GetRequiredService<TailnetService>()));

    private Task<T> As<T>(Setup s, PlatformUser who, Func<TailnetService, Task<T>> action) =>
        portal.AsAsync(s.School.Slug, who.Email, sp => action(sp.GetRequiredService<TailnetService>()));

    private Task<CohortTailnet> TailnetAsync(Guid cohortId) =>
        portal.WithDbAsync(db => db.CohortTailnets.IgnoreQueryFilters().AsNoTracking().SingleAsync(t => t.CohortId == cohortId));

    // ---- Settings ------------------------------------------------------------------------------------

    [Fact]
    public async Task SaveSettings_StoresTheKeyEncrypted_NowhereInTheDataFolderAsText()
    {
        var s = await SchoolAsync(provision: false);
        var stored = await portal.WithDbAsync(db => db.TailnetServers.IgnoreQueryFilters().SingleAsync(x => x.TenantId == s.School.TenantId));
        Assert.NotEqual(_fake.ApiKey, stored.ProtectedApiKey);
        Assert.DoesNotContain(_fake.ApiKey, stored.ProtectedApiKey);

        // The column as SQLite holds it, and every file of the data folder (database, WAL, keys).
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(portal.DataDirectory, "webvm.db")}"))
        {
            await connection.OpenAsync();
            var command = connection.CreateCommand();
            command.CommandText = "SELECT ProtectedApiKey FROM TailnetServers WHERE Url = $url";
            command.Parameters.AddWithValue("$url", _fake.BaseUrl.ToString().TrimEnd('/'));
            var column = (string)(await command.ExecuteScalarAsync())!;
            Assert.DoesNotContain(_fake.ApiKey, column);
        }
        foreach (var file in Directory.EnumerateFiles(portal.DataDirectory, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            Assert.DoesNotContain(_fake.ApiKey, await reader.ReadToEndAsync());
        }

        var view = await As(s, s.Admin, t => t.GetSettingsAsync());
        Assert.True(view.Connected);
        Assert.DoesNotContain(_fake.ApiKey, view.ToString());
    }

    [Fact]
    public async Task TestConnection_WhenHealthy_IsOkWithTheVersion()
    {
        var s = await SchoolAsync(provision: false);
        var check = await As(s, s.Admin, t => t.TestConnectionAsync());
        Assert.Equal(ConnectionStatus.Ok, check.Status);
        Assert.Equal("v0.29.2", check.Version);
        Assert.Contains("v0.29.2", check.Message);
        var view = await As(s, s.Admin, t => t.GetSettingsAsync());
        Assert.True(view.LastCheckOk);
    }

    [Fact]
    public async Task TestConnection_WithARevokedKey_SaysTheKeyIsBad()
    {
        var s = await SchoolAsync(provision: false);
        _fake.ApiKey = "hskey-api-new.rotated-on-the-server";
        var check = await As(s, s.Admin, t => t.TestConnectionAsync());
        Assert.Equal(ConnectionStatus.BadKey, check.Status);
        Assert.Contains("headscale apikeys create", check.Message);
    }

    [Fact]
    public async Task TestConnection_WhenDown_IsUnreachable()
    {
        var s = await SchoolAsync(provision: false);
        await _fake.StopAsync();
        var check = await As(s, s.Admin, t => t.TestConnectionAsync());
        Assert.Equal(ConnectionStatus.Unreachable, check.Status);
        Assert.Contains("cannot be reached", check.Message);
    }

    [Fact]
    public async Task TestConnection_WithAnOldHeadscale_IsIncompatible()
    {
        var s = await SchoolAsync(provision: false);
        _fake.Version = "v0.23.0";
        var check = await As(s, s.Admin, t => t.TestConnectionAsync());
        Assert.Equal(ConnectionStatus.Incompatible, check.Status);
        Assert.Contains("0.26.0", check.Message);
    }

    [Fact]
    public async Task Settings_OnlySchoolAdmins_ConfigureOrRead()
    {
        var s = await SchoolAsync(connect: false);
        foreach (var who in new[] { s.Teacher, s.Red })
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => As(s, who, async t => { await t.SaveSettingsAsync(_fake.BaseUrl.ToString(), "hskey-api-x"); return 0; }));
            await Assert.ThrowsAsync<ForbiddenException>(() => As(s, who, t => t.GetSettingsAsync()));
            await Assert.ThrowsAsync<ForbiddenException>(() => As(s, who, t => t.TestConnectionAsync()));
        }
        Assert.False(await portal.WithDbAsync(db => db.TailnetServers.IgnoreQueryFilters().AnyAsync(x => x.TenantId == s.School.TenantId)));
    }

    [Fact]
    public async Task Settings_OfAnotherSchool_AreInvisible()
    {
        var connected = await SchoolAsync(provision: false);
        var other = await SchoolAsync(connect: false);
        var view = await As(other, other.Admin, t => t.GetSettingsAsync());
        Assert.False(view.Connected);
        Assert.Null(view.Url);
        // And that school's admin, in a request for the connected school, is nobody there.
        await Assert.ThrowsAsync<ForbiddenException>(() =>
            portal.AsAsync(connected.School.Slug, other.Admin.Email, sp => sp.GetRequiredService<TailnetService>().GetSettingsAsync(), accountTenant: other.School.Slug));
    }

    // ---- Provisioning -----------------------------------------------------------------------------------

    [Fact]
    public async Task Connecting_ProvisionsAUserPerCohort_AndSetsAPolicyThatIsolatesThem()
    {
        var s = await SchoolAsync();
        foreach (var cohortId in s.School.Cohorts)
        {
            var tailnet = await TailnetAsync(cohortId);
            Assert.Equal(TailnetState.Ready, tailnet.State);
            Assert.Equal(CohortTailnet.UserNameFor(s.School.Slug, cohortId), tailnet.HeadscaleUser);
            Assert.Equal((string)_fake.User(tailnet.HeadscaleUser)!["id"]!, tailnet.HeadscaleUserId);
        }
        var policy = new PolicyEvaluator(_fake.Policy!);
        var red = PolicyNode.Of(CohortTailnet.UserNameFor(s.School.Slug, s.School.Cohorts[1]));
        var blue = PolicyNode.Of(CohortTailnet.UserNameFor(s.School.Slug, s.School.Cohorts[0]));
        Assert.True(policy.CanReach(red, red));
        Assert.False(policy.CanReach(red, blue));
        Assert.True(policy.CanReach(blue, PolicyNode.Server(TailnetPolicy.CourseTag(s.School.CourseId))));
    }

    [Fact]
    public async Task Provisioning_IsIdempotent()
    {
        var s = await SchoolAsync();
        var users = _fake.Users.Count;
        var policies = _fake.PoliciesSet.Count;
        await As(s, s.Teacher, async t => { await t.RequestProvisionAsync(s.School.Cohorts[0]); return 0; });
        await portal.RunQueuedJobsAsync();
        Assert.Equal(users, _fake.Users.Count);
        Assert.Equal(policies, _fake.PoliciesSet.Count);
    }

    [Fact]
    public async Task HeadscaleDown_DuringProvisioning_TheJobThrowsAndIsRetried_AndThePageShowsWhy()
    {
        var s = await SchoolAsync(provision: false);
        _fake.Down = true;
        await Assert.ThrowsAsync<TailnetSweepException>(() => portal.RunQueuedJobsAsync());

        var intent = await portal.WithDbAsync(db => db.JobIntents.AsNoTracking().SingleAsync(j => j.TenantId == s.School.TenantId && j.Kind == TailnetService.SweepKind));
        Assert.Null(intent.CompletedAt);
        Assert.Equal(1, intent.Attempts);
        Assert.Contains("cannot be reached", intent.LastError);
        var tailnet = await TailnetAsync(s.School.Cohorts[0]);
        Assert.Equal(TailnetState.Failed, tailnet.State);
        Assert.Contains("cannot be reached", tailnet.LastError);
        var view = await As(s, s.Teacher, t => t.GetCohortNetworkAsync(s.School.Cohorts[0]));
        Assert.Equal(TailnetState.Failed, view.State);
        Assert.Contains("cannot be reached", view.LastError);
        Assert.Contains(view.Jobs, j => j.LastError is not null && j.CompletedAt is null);

        // Hangfire's retry, once the server is back, finishes the work.
        _fake.Down = false;
        await portal.RetryAsync(intent.Id);
        Assert.Equal(TailnetState.Ready, (await TailnetAsync(s.School.Cohorts[0])).State);
        Assert.NotNull((await portal.WithDbAsync(db => db.JobIntents.AsNoTracking().SingleAsync(j => j.Id == intent.Id))).CompletedAt);
    }

    [Fact]
    public async Task RevokedKey_DuringProvisioning_FailsWithAMessageThatSaysWhatToDo()
    {
        var s = await SchoolAsync(provision: false);
        _fake.ApiKey = "hskey-api-rotated.elsewhere";
        await Assert.ThrowsAsync<TailnetSweepException>(() => portal.RunQueuedJobsAsync());
        var tailnet = await TailnetAsync(s.School.Cohorts[1]);
        Assert.Equal(TailnetState.Failed, tailnet.State);
        Assert.Contains("refused the portal's API key", tailnet.LastError);
        Assert.Contains("headscale apikeys create", tailnet.LastError);
    }

    // ---- Lab keys ---------------------------------------------------------------------------------------

    [Fact]
    public async Task IssueLabKey_ForAStudent_IsEphemeralSingleUseShortLived_InTheirCohort_AndNotStored()
    {
        var s = await SchoolAsync();
        var before = DateTimeOffset.UtcNow;
        var key = await As(s, s.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId));

        var issued = _fake.PreAuthKeys.Single(k => (string)k["key"]! == key.Key);
        Assert.True((bool)issued["ephemeral"]!);
        Assert.False((bool)issued["reusable"]!);
        var redTailnet = await TailnetAsync(s.School.Cohorts[1]);
        Assert.Equal(redTailnet.HeadscaleUserId, (string)issued["user"]!["id"]!);
        Assert.InRange(key.ExpiresAt, before, before + TimeSpan.FromMinutes(31));
        Assert.Equal("Red", key.Cohort);

        var record = await portal.WithDbAsync(db => db.TailnetLabKeys.IgnoreQueryFilters().SingleAsync(k => k.StudentId == s.Red.Id));
        Assert.Equal((string)issued["id"]!, record.HeadscaleKeyId);
        Assert.DoesNotContain(portal.Logs, line => line.Contains(key.Key, StringComparison.Ordinal));
        Assert.DoesNotContain(key.Key, key.ToString());
    }

    [Fact]
    public async Task IssueLabKey_EachStudentGetsTheirOwnCohortsNetwork_NeverAnother()
    {
        var s = await SchoolAsync();
        var blueKey = await As(s, s.Blue, t => t.IssueLabKeyAsync(s.School.AssignmentId));
        var issued = _fake.PreAuthKeys.Single(k => (string)k["key"]! == blueKey.Key);
        Assert.Equal((await TailnetAsync(s.School.Cohorts[0])).HeadscaleUserId, (string)issued["user"]!["id"]!);
        Assert.NotEqual((await TailnetAsync(s.School.Cohorts[1])).HeadscaleUserId, (string)issued["user"]!["id"]!);
    }

    [Fact]
    public async Task IssueLabKey_ForStaffOrStrangers_IsRefused()
    {
        var s = await SchoolAsync();
        var otherCourse = await portal.WithDbAsync(async db =>
        {
            var course = new Course(s.School.TenantId, "OTHER" + Guid.NewGuid().ToString("N")[..4], "Other");
            db.Courses.Add(course);
            await db.SaveChangesAsync();
            return course.Id;
        });
        var outsider = await portal.CreateUserAsync(s.School.Slug, courseId: otherCourse);
        await Assert.ThrowsAsync<ForbiddenException>(() => As(s, outsider, t => t.IssueLabKeyAsync(s.School.AssignmentId)));
        await Assert.ThrowsAsync<ForbiddenException>(() => As(s, s.Teacher, t => t.IssueLabKeyAsync(s.School.AssignmentId)));
        await Assert.ThrowsAsync<ForbiddenException>(() => As(s, s.Admin, t => t.IssueLabKeyAsync(s.School.AssignmentId)));

        var noCohort = await portal.CreateUserAsync(s.School.Slug, courseId: s.School.CourseId);
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => As(s, noCohort, t => t.IssueLabKeyAsync(s.School.AssignmentId)));
        Assert.Contains("no cohort", error.Message);

        // A student of another school, asking in their own school for this school's assignment: it does not exist there.
        var other = await SchoolAsync();
        await Assert.ThrowsAsync<NotFoundException>(() => As(other, other.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId)));
        Assert.Empty(_fake.PreAuthKeys);
    }

    [Fact]
    public async Task IssueLabKey_WithNoServerConnected_SaysLabsRunWithoutANetwork()
    {
        var s = await SchoolAsync(connect: false);
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => As(s, s.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId)));
        Assert.Contains("without a network", error.Message);
    }

    // ---- Nodes, keys, sweep, archive ----------------------------------------------------------------------

    [Fact]
    public async Task CohortNetwork_ShowsNodesWithTheirStudent_AndTheCourseServers()
    {
        var s = await SchoolAsync();
        var key = await As(s, s.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId));
        var keyId = (string)_fake.PreAuthKeys.Single(k => (string)k["key"]! == key.Key)["id"]!;
        var red = await TailnetAsync(s.School.Cohorts[1]);
        _fake.AddNode(red.HeadscaleUser, "lab-red", preAuthKeyId: keyId);
        _fake.AddNode(CohortTailnet.UserNameFor(s.School.Slug, s.School.Cohorts[0]), "lab-blue");
        _fake.Users.Add(new() { ["id"] = "9000", ["name"] = "servers" });
        _fake.AddNode("servers", "course-server", tags: [TailnetPolicy.CourseTag(s.School.CourseId)]);

        var view = await As(s, s.Teacher, t => t.GetCohortNetworkAsync(s.School.Cohorts[1]));
        var node = Assert.Single(view.Nodes);
        Assert.Equal("lab-red", node.Name);
        Assert.Equal(s.Red.DisplayName, node.Owner);
        Assert.Equal("course-server", Assert.Single(view.CourseServers).Name);
        Assert.Null(view.LiveError);
    }

    [Fact]
    public async Task ExpireNode_AndRotateKeys_ActOnThisCohortOnly()
    {
        var s = await SchoolAsync();
        var red = await TailnetAsync(s.School.Cohorts[1]);
        var blue = await TailnetAsync(s.School.Cohorts[0]);
        var redNode = _fake.AddNode(red.HeadscaleUser, "lab-red");
        var blueNode = _fake.AddNode(blue.HeadscaleUser, "lab-blue");
        await As(s, s.Teacher, async t => { await t.ExpireNodeAsync(s.School.Cohorts[1], (string)redNode["id"]!); return 0; });
        Assert.NotEqual("1970", ((string)_fake.Node((string)redNode["id"]!)!["expiry"]!)[..4]);
        await Assert.ThrowsAsync<NotFoundException>(() => As(s, s.Teacher, async t => { await t.ExpireNodeAsync(s.School.Cohorts[1], (string)blueNode["id"]!); return 0; }));

        await As(s, s.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId));
        await As(s, s.Blue, t => t.IssueLabKeyAsync(s.School.AssignmentId));
        Assert.Equal(1, await As(s, s.Teacher, t => t.RotateKeysAsync(s.School.Cohorts[1])));
        var blueKey = _fake.PreAuthKeys.Single(k => (string)k["user"]!["id"]! == blue.HeadscaleUserId);
        Assert.True(DateTimeOffset.Parse((string)blueKey["expiration"]!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow);

        // Students do not manage the network.
        await Assert.ThrowsAsync<ForbiddenException>(() => As(s, s.Red, t => t.RotateKeysAsync(s.School.Cohorts[1])));
    }

    [Fact]
    public async Task Sweep_RemovesStaleNodes_KeepsLiveOnes_AndExpiresAMovedStudentsMachine()
    {
        var s = await SchoolAsync();
        var red = await TailnetAsync(s.School.Cohorts[1]);
        var key = await As(s, s.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId));
        var keyId = (string)_fake.PreAuthKeys.Single(k => (string)k["key"]! == key.Key)["id"]!;
        var stale = _fake.AddNode(red.HeadscaleUser, "stale", online: false, lastSeen: DateTimeOffset.UtcNow.AddDays(-2));
        var live = _fake.AddNode(red.HeadscaleUser, "live", online: true);
        var moved = _fake.AddNode(red.HeadscaleUser, "moved", preAuthKeyId: keyId);

        // The student moves from Red to Blue.
        await portal.WithDbAsync(async db =>
        {
            var enrollment = await db.Enrollments.IgnoreQueryFilters().SingleAsync(e => e.UserId == s.Red.Id);
            var blue = await db.Cohorts.IgnoreQueryFilters().SingleAsync(c => c.Id == s.School.Cohorts[0]);
            enrollment.Change(CourseRole.Student, blue);
            await db.SaveChangesAsync();
        });
        await portal.AsAsync(s.School.Slug, null, sp => sp.GetRequiredService<TailnetSweepScheduler>().RunAsync(CancellationToken.None));
        await portal.RunQueuedJobsAsync(onlyTenant: s.School.TenantId);

        Assert.Null(_fake.Node((string)stale["id"]!));
        Assert.NotNull(_fake.Node((string)live["id"]!));
        Assert.Equal("1970", ((string)_fake.Node((string)live["id"]!)!["expiry"]!)[..4]);
        Assert.NotEqual("1970", ((string)_fake.Node((string)moved["id"]!)!["expiry"]!)[..4]);

        // Their next lab key is Blue's.
        var next = await As(s, s.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId));
        Assert.Equal("Blue", next.Cohort);
    }

    [Fact]
    public async Task SweepScheduler_QueuesOnePerConnectedSchool_NotWhileOneIsStillRetrying()
    {
        var s = await SchoolAsync(provision: false);
        portal.Jobs.Clear();
        // The sweep queued on connecting has not run yet: it is still "retrying".
        await portal.AsAsync(s.School.Slug, null, sp => sp.GetRequiredService<TailnetSweepScheduler>().RunAsync(CancellationToken.None));
        var sweeps = await portal.WithDbAsync(db => db.JobIntents.CountAsync(j => j.TenantId == s.School.TenantId && j.Kind == TailnetService.SweepKind));
        Assert.Equal(1, sweeps);

        await portal.WithDbAsync(async db =>
        {
            var intent = await db.JobIntents.SingleAsync(j => j.TenantId == s.School.TenantId && j.Kind == TailnetService.SweepKind);
            intent.Completed(DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        });
        await portal.AsAsync(s.School.Slug, null, sp => sp.GetRequiredService<TailnetSweepScheduler>().RunAsync(CancellationToken.None));
        sweeps = await portal.WithDbAsync(db => db.JobIntents.CountAsync(j => j.TenantId == s.School.TenantId && j.Kind == TailnetService.SweepKind));
        Assert.Equal(2, sweeps);
    }

    [Fact]
    public async Task ArchiveCohort_TakesItsNetworkDown_AndItsStudentsGetNoMoreKeys()
    {
        var s = await SchoolAsync();
        var red = await TailnetAsync(s.School.Cohorts[1]);
        _fake.AddNode(red.HeadscaleUser, "lab-red");
        await As(s, s.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId));

        await Assert.ThrowsAsync<ForbiddenException>(() => As(s, s.Red, async t => { await t.ArchiveCohortAsync(s.School.Cohorts[1]); return 0; }));
        await As(s, s.Teacher, async t => { await t.ArchiveCohortAsync(s.School.Cohorts[1]); return 0; });
        await portal.RunQueuedJobsAsync();

        Assert.Null(_fake.User(red.HeadscaleUser));
        Assert.DoesNotContain(_fake.Nodes, n => (string?)n["user"]?["name"] == red.HeadscaleUser);
        Assert.DoesNotContain(_fake.PreAuthKeys, k => (string?)k["user"]?["id"] == red.HeadscaleUserId);
        Assert.DoesNotContain(red.HeadscaleUser, _fake.Policy);
        Assert.Contains(CohortTailnet.UserNameFor(s.School.Slug, s.School.Cohorts[0]), _fake.Policy);
        Assert.Equal(TailnetState.Removed, (await TailnetAsync(s.School.Cohorts[1])).State);
        var error = await Assert.ThrowsAsync<InvalidInputException>(() => As(s, s.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId)));
        Assert.Contains("archived", error.Message);

        // Cleaning up again changes nothing (a retried job is harmless).
        await portal.AsAsync(s.School.Slug, null, sp => sp.GetRequiredService<TailnetProvisioner>().CleanupCohortAsync(s.School.Cohorts[1], CancellationToken.None));
    }

    [Fact]
    public async Task CohortNetwork_OfAnotherSchool_IsNotFound()
    {
        var s = await SchoolAsync(connect: false);
        var other = await SchoolAsync(connect: false);
        await Assert.ThrowsAsync<NotFoundException>(() => As(other, other.Admin, t => t.GetCohortNetworkAsync(s.School.Cohorts[0])));
    }

    [Fact]
    public async Task ApiKey_NeverAppearsInTheLogs()
    {
        var s = await SchoolAsync();
        await As(s, s.Admin, t => t.TestConnectionAsync());
        await As(s, s.Red, t => t.IssueLabKeyAsync(s.School.AssignmentId));
        _fake.Down = true;
        await As(s, s.Admin, t => t.TestConnectionAsync());
        Assert.NotEmpty(portal.Logs);
        Assert.DoesNotContain(portal.Logs, line => line.Contains(_fake.ApiKey, StringComparison.Ordinal));
    }
}
