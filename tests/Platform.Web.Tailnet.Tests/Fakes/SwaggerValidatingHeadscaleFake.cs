using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Web.Tailnet.Tests.Fakes;

/// <summary>
/// NOT Headscale. A stand-in HTTP server (in-process Kestrel on a loopback port) that knows only
/// Headscale v0.29.2's published API description: it checks every request against it (path,
/// method, parameters, body fields and their types; a mismatch is recorded in <see cref="Violations"/>
/// and answered 400) and answers with responses built from a small in-memory state and checked
/// against the description's response schemas too. No real Headscale can run on this machine; this
/// proves the portal speaks the published API, not that Headscale behaves as the fake does.
/// </summary>
public sealed class SwaggerValidatingHeadscaleFake : IAsyncDisposable
{
    public const string FakeVersion = "v0.29.2";

    private readonly WebApplication _app;
    private readonly HeadscaleDescription _description = HeadscaleDescription.Load();
    private readonly Lock _lock = new();
    private long _nextId = 1;

    private SwaggerValidatingHeadscaleFake(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;
    public string ApiKey { get; set; } = "hskey-api-fake." + Guid.NewGuid().ToString("N");
    /// <summary>What <c>GET /version</c> answers (that call is Headscale's, but outside the API description).</summary>
    public string? Version { get; set; } = FakeVersion;
    /// <summary>While true every connection is dropped, as when the server is down behind a proxy.</summary>
    public bool Down { get; set; }
    /// <summary>The next N API calls answer 503 (a transient fault the client should retry).</summary>
    public int FailNext { get; set; }
    public ConcurrentQueue<string> Violations { get; } = new();
    /// <summary>"METHOD /template" of every call that matched the description.</summary>
    public ConcurrentQueue<string> Calls { get; } = new();
    public int RequestCount => _requests;
    private int _requests;

    public List<JsonObject> Users { get; } = [];
    public List<JsonObject> Nodes { get; } = [];
    public List<JsonObject> PreAuthKeys { get; } = [];
    public string? Policy { get; private set; }
    public List<string> PoliciesSet { get; } = [];

    public static async Task<SwaggerValidatingHeadscaleFake> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new SwaggerValidatingHeadscaleFake(app);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.BaseUrl = new Uri(address);
        return fake;
    }

    /// <summary>Stops listening: connections are refused from now on.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    // ---- Arranging state -------------------------------------------------------------------------

    public JsonObject AddNode(string? userName, string name, IEnumerable<string>? tags = null, bool online = true, DateTimeOffset? lastSeen = null,
        string? preAuthKeyId = null, DateTimeOffset? expiry = null)
    {
        lock (_lock)
        {
            var id = NextId();
            var node = new JsonObject
            {
                ["id"] = id,
                ["machineKey"] = "mkey:" + Guid.NewGuid().ToString("N"),
                ["nodeKey"] = "nodekey:" + Guid.NewGuid().ToString("N"),
                ["discoKey"] = "discokey:" + Guid.NewGuid().ToString("N"),
                ["ipAddresses"] = new JsonArray($"100.64.0.{id}", $"fd7a:115c:a1e0::{id}"),
                ["name"] = name,
                ["givenName"] = name,
                ["lastSeen"] = Time(lastSeen ?? DateTimeOffset.UtcNow),
                ["expiry"] = Time(expiry ?? DateTimeOffset.UnixEpoch),
                ["createdAt"] = Time(DateTimeOffset.UtcNow),
                ["registerMethod"] = "REGISTER_METHOD_AUTH_KEY",
                ["online"] = online,
                ["tags"] = new JsonArray((tags ?? []).Select(t => (JsonNode)t).ToArray()),
            };
            if (userName is not null)
                node["user"] = Users.Single(u => (string)u["name"]! == userName).DeepClone();
            if (preAuthKeyId is not null)
                node["preAuthKey"] = PreAuthKeys.Single(k => (string)k["id"]! == preAuthKeyId).DeepClone();
            Nodes.Add(node);
            return node;
        }
    }

    public JsonObject? Node(string id) { lock (_lock) return Nodes.FirstOrDefault(n => (string)n["id"]! == id); }
    public JsonObject? User(string name) { lock (_lock) return Users.FirstOrDefault(u => (string)u["name"]! == name); }

    // ---- The server --------------------------------------------------------------------------------

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (Down)
        {
            context.Abort();
            return;
        }
        var request = context.Request;
        if (request.Path == "/version" && request.Method == "GET")
        {
            // Not in the API description: Headscale serves it beside the API, without a key.
            if (Version is null)
                context.Response.StatusCode = 404;
            else
                await context.Response.WriteAsJsonAsync(new { version = Version, commit = "fake", buildTime = "fake", go = new { version = "fake" }, dirty = false });
            return;
        }

        var operation = _description.Find(request.Method, request.Path.Value ?? "");
        if (operation is null)
        {
            var known = _description.Operations.Any(o => o.Matches(request.Path.Value ?? ""));
            Violations.Enqueue($"{request.Method} {request.Path}: {(known ? "method not in the description for this path" : "no such path in the description")}");
            await RpcError(context, known ? 405 : 404, 12, "Not Implemented");
            return;
        }
        Calls.Enqueue($"{operation.Method} {operation.Path}");

        // Authentication: Headscale's API takes "Authorization: Bearer <API key>".
        if (request.Headers.Authorization.ToString() != "Bearer " + ApiKey)
        {
            await RpcError(context, 401, 16, "Unauthorized");
            return;
        }

        var problems = new List<string>();
        var pathValues = operation.PathValues(request.Path.Value!)!;
        foreach (var (name, value) in pathValues)
        {
            var parameter = operation.Parameter(name, "path");
            if (parameter is null)
                problems.Add($"path parameter {name} not described");
            else
                problems.AddRange(HeadscaleDescription.ValidateString(value, parameter.Value, $"path {name}"));
        }
        foreach (var (name, values) in request.Query)
        {
            var parameter = operation.Parameter(name, "query");
            if (parameter is null)
                problems.Add($"query parameter {name} not described");
            else
                problems.AddRange(HeadscaleDescription.ValidateString(values.ToString(), parameter.Value, $"query {name}"));
        }
        foreach (var required in operation.Parameters.Where(p => p.TryGetProperty("required", out var r) && r.GetBoolean()))
        {
            var name = required.GetProperty("name").GetString()!;
            var location = required.GetProperty("in").GetString();
            if (location == "query" && !request.Query.ContainsKey(name))
                problems.Add($"required query parameter {name} missing");
        }

        JsonElement body = default;
        var text = await new StreamReader(request.Body).ReadToEndAsync();
        if (operation.BodySchema is { } bodySchema)
        {
            if (text.Length == 0)
                problems.Add("required body missing");
            else if (!request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) ?? true)
                problems.Add($"body sent as {request.ContentType}, the description consumes application/json");
            else
            {
                try
                {
                    body = JsonDocument.Parse(text).RootElement;
                    problems.AddRange(_description.Validate(body, bodySchema, "body"));
                }
                catch (JsonException e)
                {
                    problems.Add("body is not JSON: " + e.Message);
                }
            }
        }
        else if (text.Length > 0)
            problems.Add("a body was sent to an operation that takes none");

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
                Violations.Enqueue($"{operation.OperationId}: {problem}");
            await RpcError(context, 400, 3, "request does not match the API description: " + string.Join("; ", problems));
            return;
        }
        if (FailNext > 0)
        {
            FailNext--;
            await RpcError(context, 503, 14, "unavailable");
            return;
        }

        (int Status, JsonObject Body) answer;
        lock (_lock)
            answer = Answer(operation.OperationId, pathValues, request.Query, body);
        if (answer.Status == 200)
        {
            using var check = JsonDocument.Parse(answer.Body.ToJsonString());
            foreach (var problem in _description.Validate(check.RootElement, _description.Definition(operation.ResponseDefinition!), "response"))
                Violations.Enqueue($"{operation.OperationId} (the fake's own answer): {problem}");
        }
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.Body.ToJsonString());
    }

    private (int, JsonObject) Answer(string operationId, Dictionary<string, string> path, IQueryCollection query, JsonElement body)
    {
        var now = DateTimeOffset.UtcNow;
        switch (operationId)
        {
            case "HeadscaleService_Health":
                return Ok(new JsonObject { ["databaseConnectivity"] = true });
            case "HeadscaleService_ListUsers":
            {
                var users = Users.Where(u => !query.ContainsKey("name") || (string)u["name"]! == query["name"].ToString());
                return Ok(new JsonObject { ["users"] = Array(users) });
            }
            case "HeadscaleService_CreateUser":
            {
                var name = body.GetProperty("name").GetString()!;
                if (Users.Any(u => (string)u["name"]! == name))
                    return Error(409, 6, "user already exists");
                var user = new JsonObject { ["id"] = NextId(), ["name"] = name, ["createdAt"] = Time(now), ["provider"] = "" };
                if (body.TryGetProperty("displayName", out var display))
                    user["displayName"] = display.GetString();
                Users.Add(user);
                return Ok(new JsonObject { ["user"] = user.DeepClone() });
            }
            case "HeadscaleService_DeleteUser":
            {
                var user = Users.FirstOrDefault(u => (string)u["id"]! == path["id"]);
                if (user is null)
                    return Error(404, 5, "user not found");
                if (Nodes.Any(n => (string?)n["user"]?["id"] == path["id"]))
                    return Error(400, 9, "user not empty: node(s) found");
                Users.Remove(user);
                PreAuthKeys.RemoveAll(k => (string?)k["user"]?["id"] == path["id"]);
                return Ok([]);
            }
            case "HeadscaleService_ListNodes":
            {
                var nodes = Nodes.Where(n => !query.ContainsKey("user") || (string?)n["user"]?["name"] == query["user"].ToString());
                return Ok(new JsonObject { ["nodes"] = Array(nodes) });
            }
            case "HeadscaleService_ExpireNode":
            {
                var node = Nodes.FirstOrDefault(n => (string)n["id"]! == path["nodeId"]);
                if (node is null)
                    return Error(404, 5, "node not found");
                node["expiry"] = Time(now);
                return Ok(new JsonObject { ["node"] = node.DeepClone() });
            }
            case "HeadscaleService_DeleteNode":
                return Nodes.RemoveAll(n => (string)n["id"]! == path["nodeId"]) > 0 ? Ok([]) : Error(404, 5, "node not found");
            case "HeadscaleService_CreatePreAuthKey":
            {
                var userId = body.TryGetProperty("user", out var u) ? u.GetString() : null;
                var user = Users.FirstOrDefault(x => (string)x["id"]! == userId);
                if (user is null)
                    return Error(404, 5, "user not found");
                var key = new JsonObject
                {
                    ["user"] = user.DeepClone(),
                    ["id"] = NextId(),
                    ["key"] = "hskey-auth-" + Guid.NewGuid().ToString("N"),
                    ["reusable"] = body.TryGetProperty("reusable", out var r) && r.GetBoolean(),
                    ["ephemeral"] = body.TryGetProperty("ephemeral", out var e) && e.GetBoolean(),
                    ["used"] = false,
                    ["expiration"] = body.TryGetProperty("expiration", out var x2) ? x2.GetString() : Time(now.AddHours(1)),
                    ["createdAt"] = Time(now),
                    ["aclTags"] = body.TryGetProperty("aclTags", out var tags) ? JsonNode.Parse(tags.GetRawText()) : new JsonArray(),
                };
                PreAuthKeys.Add(key);
                return Ok(new JsonObject { ["preAuthKey"] = key.DeepClone() });
            }
            case "HeadscaleService_ListPreAuthKeys":
                return Ok(new JsonObject { ["preAuthKeys"] = Array(PreAuthKeys) });
            case "HeadscaleService_ExpirePreAuthKey":
            {
                var key = PreAuthKeys.FirstOrDefault(k => (string)k["id"]! == body.GetProperty("id").GetString());
                if (key is null)
                    return Error(404, 5, "key not found");
                key["expiration"] = Time(now);
                return Ok([]);
            }
            case "HeadscaleService_DeletePreAuthKey":
                return PreAuthKeys.RemoveAll(k => (string)k["id"]! == query["id"].ToString()) > 0 ? Ok([]) : Error(404, 5, "key not found");
            case "HeadscaleService_GetPolicy":
                return Policy is null ? Error(404, 5, "no policy set") : Ok(new JsonObject { ["policy"] = Policy, ["updatedAt"] = Time(now) });
            case "HeadscaleService_CheckPolicy":
            {
                var problem = CheckPolicyText(body.GetProperty("policy").GetString()!);
                return problem is null ? Ok([]) : Error(400, 3, problem);
            }
            case "HeadscaleService_SetPolicy":
            {
                var text = body.GetProperty("policy").GetString()!;
                if (CheckPolicyText(text) is { } problem)
                    return Error(400, 3, problem);
                Policy = text;
                PoliciesSet.Add(text);
                return Ok(new JsonObject { ["policy"] = Policy, ["updatedAt"] = Time(now) });
            }
            default:
                return Error(501, 12, $"the fake does not implement {operationId}");
        }
    }

    /// <summary>
    /// The checks Headscale's policy parser is documented to make that matter here: HuJSON that parses,
    /// users named in rules exist, tags used are defined in tagOwners.
    /// </summary>
    private string? CheckPolicyText(string text)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement;
        }
        catch (JsonException e)
        {
            return "policy does not parse: " + e.Message;
        }
        var tags = root.TryGetProperty("tagOwners", out var owners) ? owners.EnumerateObject().Select(o => o.Name).ToHashSet() : [];
        if (!root.TryGetProperty("acls", out var acls))
            return null;
        foreach (var acl in acls.EnumerateArray())
        {
            var aliases = acl.GetProperty("src").EnumerateArray().Select(s => s.GetString()!)
                .Concat(acl.GetProperty("dst").EnumerateArray().Select(d => d.GetString()![..d.GetString()!.LastIndexOf(':')]));
            foreach (var alias in aliases)
            {
                if (alias.StartsWith("tag:", StringComparison.Ordinal) && !tags.Contains(alias))
                    return $"tag {alias} is not defined in tagOwners";
                if (alias.EndsWith('@') && Users.All(u => (string)u["name"]! + "@" != alias))
                    return $"user {alias} does not exist";
            }
        }
        return null;
    }

    private string NextId() => (_nextId++).ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static JsonArray Array(IEnumerable<JsonObject> items) => new(items.Select(i => (JsonNode)i.DeepClone()).ToArray());

    private static (int, JsonObject) Ok(JsonObject body) => (200, body);

    private static (int, JsonObject) Error(int status, int code, string message) =>
        (status, new JsonObject { ["code"] = code, ["message"] = message, ["details"] = new JsonArray() });

    private static Task RpcError(HttpContext context, int status, int code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { code, message, details = System.Array.Empty<object>() });
    }
}
