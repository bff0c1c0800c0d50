using System.Reflection;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Features.Tailnets;
using Platform.Web.Features.Tailnets.Headscale;
using Platform.Web.Tailnet.Tests.Fakes;

namespace Platform.Web.Tailnet.Tests.Headscale;

/// <summary>
/// The client against <see cref="SwaggerValidatingHeadscaleFake"/> (no real Headscale runs here): every
/// call must match Headscale v0.29.2's published description, and failures become plain messages.
/// </summary>
public sealed class HeadscaleClientTests : IAsyncLifetime
{
    private SwaggerValidatingHeadscaleFake _fake = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _fake = await SwaggerValidatingHeadscaleFake.StartAsync();
        _services = new ServiceCollection()
            .Configure<TailnetOptions>(o =>
            {
                o.RequestTimeout = TimeSpan.FromSeconds(3);
                o.RetryAttempts = 2;
                o.RetryDelay = TimeSpan.FromMilliseconds(20);
            })
            .AddHeadscaleClient()
            .BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _fake.DisposeAsync();
    }

    private HeadscaleClient Client => _services.GetRequiredService<HeadscaleClient>();
    private HeadscaleServer Server => new(_fake.BaseUrl, _fake.ApiKey);

    [Fact]
    public void Operations_AllExistInThePublishedDescription_WithTheParametersAndBodyFieldsTheClientSends()
    {
        var description = HeadscaleDescription.Load();
        foreach (var operation in HeadscaleClient.Operations)
        {
            var described = description.Operations.SingleOrDefault(o => o.Method == operation.Method && o.Path == operation.Path);
            Assert.True(described is not null, $"{operation.Method} {operation.Path} is not in the description");
            Assert.Equal(operation.OperationId, described.OperationId);
            Assert.Equal(operation.ResponseDefinition, described.ResponseDefinition);
            foreach (var name in operation.Path.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}')))
                Assert.True(described.Parameter(name, "path") is not null, $"{operation.OperationId}: path parameter {name}");
            foreach (var name in operation.QueryParameters)
                Assert.True(described.Parameter(name, "query") is not null, $"{operation.OperationId}: query parameter {name}");
            // Every required parameter is one the client sends.
            foreach (var required in described.Parameters.Where(p => p.TryGetProperty("required", out var r) && r.GetBoolean()))
            {
                var name = required.GetProperty("name").GetString()!;
                var sent = required.GetProperty("in").GetString() switch
                {
                    "path" => operation.Path.Contains("{" + name + "}", StringComparison.Ordinal),
                    "query" => operation.QueryParameters.Contains(name),
                    "body" => operation.Body is not null,
                    _ => false,
                };
                Assert.True(sent, $"{operation.OperationId}: required {name} is not sent");
            }
            if (operation.Body is { } body)
            {
                var schema = description.Resolve(described.BodySchema!.Value);
                var fields = schema.GetProperty("properties");
                foreach (var property in body.GetConstructors().Single().GetParameters())
                {
                    var json = body.GetProperty(property.Name!)!.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name;
                    Assert.True(fields.TryGetProperty(json, out _), $"{operation.OperationId}: body field {json} is not in {described.BodySchema}");
                }
            }
            else
                Assert.Null(described.BodySchema);
        }
    }

    [Fact]
    public void DescriptionCopy_IsTheOneInShared_WhenSharedIsBesideTheRepository()
    {
        var copy = Path.Combine(AppContext.BaseDirectory, "Headscale", HeadscaleDescription.FileName);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WebVm.sln")))
            dir = dir.Parent;
        var shared = dir?.Parent is { } parent ? Path.Combine(parent.FullName, "shared", "headscale", HeadscaleDescription.FileName) : null;
        if (shared is null || !File.Exists(shared))
            return; // Not beside the repository here: nothing to compare.
        Assert.Equal(File.ReadAllText(shared), File.ReadAllText(copy));
    }

    [Fact]
    public async Task EveryOperation_AgainstTheValidatingFake_MatchesTheDescription()
    {
        var ct = CancellationToken.None;
        Assert.True(await Client.HealthAsync(Server, ct));
        Assert.Equal(SwaggerValidatingHeadscaleFake.FakeVersion, await Client.VersionAsync(Server, ct));
        Assert.Null(await Client.FindUserAsync(Server, "demo-x", ct));
        var user = await Client.CreateUserAsync(Server, "demo-x", "LINUX101 Monday", ct);
        Assert.Equal("demo-x", (await Client.FindUserAsync(Server, "demo-x", ct))!.Name);
        var key = await Client.CreatePreAuthKeyAsync(Server, user.Id, reusable: false, ephemeral: true, DateTimeOffset.UtcNow.AddMinutes(30), [], ct);
        Assert.True(key.Ephemeral);
        Assert.False(key.Reusable);
        Assert.StartsWith("hskey-auth-", key.Key);
        Assert.Contains(await Client.ListPreAuthKeysAsync(Server, ct), k => k.Id == key.Id);
        await Client.ExpirePreAuthKeyAsync(Server, key.Id, ct);
        var node = _fake.AddNode("demo-x", "lab-1", preAuthKeyId: key.Id);
        var nodes = await Client.ListNodesAsync(Server, "demo-x", ct);
        Assert.Equal(key.Id, Assert.Single(nodes).PreAuthKey!.Id);
        Assert.Single(await Client.ListNodesAsync(Server, null, ct));
        var expired = await Client.ExpireNodeAsync(Server, (string)node["id"]!, ct);
        Assert.True(expired!.IsExpired(DateTimeOffset.UtcNow.AddSeconds(1)));
        await Client.DeleteNodeAsync(Server, (string)node["id"]!, ct);
        await Client.DeletePreAuthKeyAsync(Server, key.Id, ct);
        var policy = TailnetPolicy.Generate([new PolicyCohort("demo-x", Guid.NewGuid())]);
        await Client.CheckPolicyAsync(Server, policy, ct);
        await Client.SetPolicyAsync(Server, policy, ct);
        Assert.Equal(policy, await Client.GetPolicyAsync(Server, ct));
        await Client.DeleteUserAsync(Server, user.Id, ct);

        Assert.Empty(_fake.Violations);
        var called = _fake.Calls.ToHashSet();
        foreach (var operation in HeadscaleClient.Operations)
            Assert.Contains($"{operation.Method} {operation.Path}", called);
    }

    [Fact]
    public async Task RevokedKey_IsUnauthorized_WithAMessageThatSaysWhatToDo()
    {
        var revoked = new HeadscaleServer(_fake.BaseUrl, "hskey-api-revoked.0000");
        var error = await Assert.ThrowsAsync<HeadscaleException>(() => Client.ListNodesAsync(revoked, null, CancellationToken.None));
        Assert.Equal(HeadscaleFailure.Unauthorized, error.Failure);
        Assert.Contains("headscale apikeys create", error.Message);
        Assert.DoesNotContain("hskey-api-revoked", error.ToString());
    }

    [Fact]
    public async Task TransientFailures_AreRetried()
    {
        _fake.FailNext = 2;
        Assert.True(await Client.HealthAsync(Server, CancellationToken.None));
        Assert.Equal(0, _fake.FailNext);
    }

    [Fact]
    public async Task ServerDown_IsUnreachable_NamingTheServerNotTheKey()
    {
        _fake.Down = true;
        var error = await Assert.ThrowsAsync<HeadscaleException>(() => Client.HealthAsync(Server, CancellationToken.None));
        Assert.Equal(HeadscaleFailure.Unreachable, error.Failure);
        Assert.Contains(_fake.BaseUrl.Authority, error.Message);
        Assert.DoesNotContain(_fake.ApiKey, error.ToString());
        Assert.True(_fake.RequestCount >= 3, "two retries after the first attempt");
    }

    [Fact]
    public async Task ServerStopped_IsUnreachable()
    {
        await _fake.StopAsync();
        var error = await Assert.ThrowsAsync<HeadscaleException>(() => Client.HealthAsync(Server, CancellationToken.None));
        Assert.Equal(HeadscaleFailure.Unreachable, error.Failure);
    }

    [Fact]
    public async Task RejectedRequest_CarriesHeadscalesReason()
    {
        var error = await Assert.ThrowsAsync<HeadscaleException>(() =>
            Client.SetPolicyAsync(Server, TailnetPolicy.Generate([new PolicyCohort("nobody-here", Guid.NewGuid())]), CancellationToken.None));
        Assert.Equal(HeadscaleFailure.Rejected, error.Failure);
        Assert.Contains("nobody-here@ does not exist", error.Message);
    }

    [Theory]
    [InlineData("v0.29.2", true)]
    [InlineData("0.26.0", true)]
    [InlineData("v0.30.0-beta.1", true)]
    [InlineData("v0.25.1", false)]
    [InlineData("v0.22.3", false)]
    [InlineData("dev", true)]
    public void IsCompatible_ComparesWithTheMinimum(string version, bool compatible) =>
        Assert.Equal(compatible, TailnetService.IsCompatible(version, "0.26.0"));
}
