using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using static Platform.Web.Features.Tailnets.Headscale.HeadscaleWire;

namespace Platform.Web.Features.Tailnets.Headscale;

/// <summary>Where a school's Headscale answers, and the API key the portal uses there.</summary>
public sealed record HeadscaleServer(Uri BaseUrl, string ApiKey)
{
    // The key never appears in logs, exceptions or debugger views through this record.
    public override string ToString() => BaseUrl.ToString();
}

/// <summary>One call of Headscale's REST API, as its published description names it.</summary>
public sealed record HeadscaleOperation(
    string OperationId, string Method, string Path,
    IReadOnlyList<string> QueryParameters, Type? Body, string ResponseDefinition);

/// <summary>
/// A typed client for Headscale's <c>/api/v1</c> (v0.29.2 description). Stateless: every call names
/// the server it goes to, so one client serves every school. Transient faults are retried by the
/// resilience handler it is registered with; what still fails becomes a <see cref="HeadscaleException"/>
/// whose message a teacher can act on.
/// </summary>
public sealed class HeadscaleClient(HttpClient http)
{
    public const string HttpClientName = "headscale";

    public static readonly HeadscaleOperation Health = new("HeadscaleService_Health", "GET", "/api/v1/health", [], null, "v1HealthResponse");
    public static readonly HeadscaleOperation ListUsers = new("HeadscaleService_ListUsers", "GET", "/api/v1/user", ["name"], null, "v1ListUsersResponse");
    public static readonly HeadscaleOperation CreateUser = new("HeadscaleService_CreateUser", "POST", "/api/v1/user", [], typeof(CreateUserRequest), "v1CreateUserResponse");
    public static readonly HeadscaleOperation DeleteUser = new("HeadscaleService_DeleteUser", "DELETE", "/api/v1/user/{id}", [], null, "v1DeleteUserResponse");
    public static readonly HeadscaleOperation ListNodes = new("HeadscaleService_ListNodes", "GET", "/api/v1/node", ["user"], null, "v1ListNodesResponse");
    public static readonly HeadscaleOperation ExpireNode = new("HeadscaleService_ExpireNode", "POST", "/api/v1/node/{nodeId}/expire", [], null, "v1ExpireNodeResponse");
    public static readonly HeadscaleOperation DeleteNode = new("HeadscaleService_DeleteNode", "DELETE", "/api/v1/node/{nodeId}", [], null, "v1DeleteNodeResponse");
    public static readonly HeadscaleOperation CreatePreAuthKey = new("HeadscaleService_CreatePreAuthKey", "POST", "/api/v1/preauthkey", [], typeof(CreatePreAuthKeyRequest), "v1CreatePreAuthKeyResponse");
    public static readonly HeadscaleOperation ListPreAuthKeys = new("HeadscaleService_ListPreAuthKeys", "GET", "/api/v1/preauthkey", [], null, "v1ListPreAuthKeysResponse");
    public static readonly HeadscaleOperation ExpirePreAuthKey = new("HeadscaleService_ExpirePreAuthKey", "POST", "/api/v1/preauthkey/expire", [], typeof(ExpirePreAuthKeyRequest), "v1ExpirePreAuthKeyResponse");
    public static readonly HeadscaleOperation DeletePreAuthKey = new("HeadscaleService_DeletePreAuthKey", "DELETE", "/api/v1/preauthkey", ["id"], null, "v1DeletePreAuthKeyResponse");
    public static readonly HeadscaleOperation GetPolicy = new("HeadscaleService_GetPolicy", "GET", "/api/v1/policy", [], null, "v1GetPolicyResponse");
    public static readonly HeadscaleOperation CheckPolicy = new("HeadscaleService_CheckPolicy", "POST", "/api/v1/policy/check", [], typeof(CheckPolicyRequest), "v1CheckPolicyResponse");
    public static readonly HeadscaleOperation SetPolicy = new("HeadscaleService_SetPolicy", "PUT", "/api/v1/policy", [], typeof(SetPolicyRequest), "v1SetPolicyResponse");

    /// <summary>Every API call this client makes; the tests check each against the published description.</summary>
    public static readonly IReadOnlyList<HeadscaleOperation> Operations =
        [Health, ListUsers, CreateUser, DeleteUser, ListNodes, ExpireNode, DeleteNode, CreatePreAuthKey, ListPreAuthKeys, ExpirePreAuthKey, DeletePreAuthKey, GetPolicy, CheckPolicy, SetPolicy];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<bool> HealthAsync(HeadscaleServer server, CancellationToken ct) =>
        (await SendAsync<HealthResponse>(server, Health, null, null, null, ct)).DatabaseConnectivity;

    /// <summary>
    /// The server's version from <c>GET /version</c>, which Headscale serves beside the API without a
    /// key; the API description has no version call. Null when the server does not answer it.
    /// </summary>
    public async Task<string?> VersionAsync(HeadscaleServer server, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Root(server), "version"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var response = await TransportAsync(server, request, ct);
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                return null;
            var text = await response.Content.ReadAsStringAsync(ct);
            try
            {
                return JsonSerializer.Deserialize<VersionResponse>(text, Json)?.Version;
            }
            catch (JsonException)
            {
                return text.Trim() is { Length: > 0 and < 100 } plain ? plain : null;
            }
        }
    }

    public async Task<HeadscaleUser?> FindUserAsync(HeadscaleServer server, string name, CancellationToken ct)
    {
        var response = await SendAsync<ListUsersResponse>(server, ListUsers, null, [new("name", name)], null, ct);
        return response.Users?.FirstOrDefault(u => u.Name == name);
    }

    public async Task<HeadscaleUser> CreateUserAsync(HeadscaleServer server, string name, string? displayName, CancellationToken ct) =>
        (await SendAsync<CreateUserResponse>(server, CreateUser, null, null, new CreateUserRequest(name, displayName), ct)).User
            ?? throw BadResponse(CreateUser);

    public Task DeleteUserAsync(HeadscaleServer server, string userId, CancellationToken ct) =>
        SendAsync<JsonElement>(server, DeleteUser, new() { ["id"] = userId }, null, null, ct);

    /// <summary>The nodes of one Headscale user, or every node when <paramref name="userName"/> is null.</summary>
    public async Task<IReadOnlyList<HeadscaleNode>> ListNodesAsync(HeadscaleServer server, string? userName, CancellationToken ct) =>
        (await SendAsync<ListNodesResponse>(server, ListNodes, null, userName is null ? null : [new("user", userName)], null, ct)).Nodes ?? [];

    public async Task<HeadscaleNode?> ExpireNodeAsync(HeadscaleServer server, string nodeId, CancellationToken ct) =>
        (await SendAsync<ExpireNodeResponse>(server, ExpireNode, new() { ["nodeId"] = nodeId }, null, null, ct)).Node;

    public Task DeleteNodeAsync(HeadscaleServer server, string nodeId, CancellationToken ct) =>
        SendAsync<JsonElement>(server, DeleteNode, new() { ["nodeId"] = nodeId }, null, null, ct);

    public async Task<HeadscalePreAuthKey> CreatePreAuthKeyAsync(HeadscaleServer server, string userId, bool reusable, bool ephemeral,
        DateTimeOffset expiration, IReadOnlyList<string> aclTags, CancellationToken ct) =>
        (await SendAsync<CreatePreAuthKeyResponse>(server, CreatePreAuthKey, null, null,
            new CreatePreAuthKeyRequest(userId, reusable, ephemeral, expiration.ToUniversalTime(), aclTags), ct)).PreAuthKey
            ?? throw BadResponse(CreatePreAuthKey);

    public async Task<IReadOnlyList<HeadscalePreAuthKey>> ListPreAuthKeysAsync(HeadscaleServer server, CancellationToken ct) =>
        (await SendAsync<ListPreAuthKeysResponse>(server, ListPreAuthKeys, null, null, null, ct)).PreAuthKeys ?? [];

    public Task ExpirePreAuthKeyAsync(HeadscaleServer server, string keyId, CancellationToken ct) =>
        SendAsync<JsonElement>(server, ExpirePreAuthKey, null, null, new ExpirePreAuthKeyRequest(keyId), ct);

    public Task DeletePreAuthKeyAsync(HeadscaleServer server, string keyId, CancellationToken ct) =>
        SendAsync<JsonElement>(server, DeletePreAuthKey, null, [new("id", keyId)], null, ct);

    public async Task<string?> GetPolicyAsync(HeadscaleServer server, CancellationToken ct) =>
        (await SendAsync<PolicyResponse>(server, GetPolicy, null, null, null, ct)).Policy;

    public Task CheckPolicyAsync(HeadscaleServer server, string policy, CancellationToken ct) =>
        SendAsync<JsonElement>(server, CheckPolicy, null, null, new CheckPolicyRequest(policy), ct);

    public Task SetPolicyAsync(HeadscaleServer server, string policy, CancellationToken ct) =>
        SendAsync<PolicyResponse>(server, SetPolicy, null, null, new SetPolicyRequest(policy), ct);

    private static Uri Root(HeadscaleServer server) =>
        new(server.BaseUrl.ToString().TrimEnd('/') + "/");

    private async Task<T> SendAsync<T>(HeadscaleServer server, HeadscaleOperation operation, Dictionary<string, string>? path,
        IReadOnlyList<KeyValuePair<string, string>>? query, object? body, CancellationToken ct)
    {
        var relative = operation.Path.TrimStart('/');
        foreach (var (name, value) in path ?? [])
            relative = relative.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
        if (query is { Count: > 0 })
            relative += "?" + string.Join("&", query.Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value)}"));

        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), new Uri(Root(server), relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);

        using var response = await TransportAsync(server, request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw Failure(server, operation, response.StatusCode, text);
        try
        {
            return JsonSerializer.Deserialize<T>(text.Length == 0 ? "{}" : text, Json) ?? throw BadResponse(operation);
        }
        catch (JsonException e)
        {
            throw new HeadscaleException(HeadscaleFailure.BadResponse,
                $"The network server answered {operation.OperationId} with something that is not Headscale's API. Is the address that of a Headscale server?", null, e);
        }
    }

    private async Task<HttpResponseMessage> TransportAsync(HeadscaleServer server, HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, ct);
        }
        catch (Exception e) when (e is HttpRequestException || IsPolly(e, "Polly.CircuitBreaker.BrokenCircuitException"))
        {
            throw new HeadscaleException(HeadscaleFailure.Unreachable,
                $"The network server at {server.BaseUrl.Authority} cannot be reached. Check its address and that Headscale is running; the portal keeps retrying.", null, e);
        }
        catch (Exception e) when (IsPolly(e, "Polly.Timeout.TimeoutRejectedException") || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new HeadscaleException(HeadscaleFailure.Timeout,
                $"The network server at {server.BaseUrl.Authority} did not answer in time; the portal keeps retrying.", null, e);
        }
    }

    // By name: the resilience handler's Polly 8 types share their names with Polly 7, which another
    // package brings along, so the compiler cannot tell them apart.
    private static bool IsPolly(Exception e, string fullName)
    {
        for (var type = e.GetType(); type is not null; type = type.BaseType)
            if (type.FullName == fullName)
                return true;
        return false;
    }

    private static HeadscaleException Failure(HeadscaleServer server, HeadscaleOperation operation, HttpStatusCode status, string body)
    {
        string? detail = null;
        try
        {
            detail = JsonSerializer.Deserialize<RpcStatus>(body, Json)?.Message;
        }
        catch (JsonException)
        {
            // Not Headscale's error shape (a proxy's page, say): the status code tells enough.
        }
        var code = (int)status;
        return status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new HeadscaleException(HeadscaleFailure.Unauthorized,
                "The network server refused the portal's API key: it was revoked, expired or mistyped. A school admin creates a new one with "
                + "`headscale apikeys create` and pastes it under School admin → Network.", code),
            HttpStatusCode.NotFound => new HeadscaleException(HeadscaleFailure.NotFound,
                $"The network server does not know this ({operation.OperationId}): {detail ?? "not found"}.", code),
            >= HttpStatusCode.InternalServerError => new HeadscaleException(HeadscaleFailure.ServerError,
                $"The network server at {server.BaseUrl.Authority} failed ({code}{(detail is null ? "" : ": " + detail)}); the portal retries.", code),
            _ => new HeadscaleException(HeadscaleFailure.Rejected,
                $"The network server turned down {operation.OperationId} ({code}): {detail ?? "no reason given"}.", code),
        };
    }

    private static HeadscaleException BadResponse(HeadscaleOperation operation) =>
        new(HeadscaleFailure.BadResponse, $"The network server's answer to {operation.OperationId} was empty.", null);

}

public enum HeadscaleFailure
{
    Unreachable,
    Timeout,
    Unauthorized,
    NotFound,
    Rejected,
    ServerError,
    BadResponse,
}

/// <summary>A Headscale call that failed; the message is for a teacher or school admin and never holds the API key.</summary>
public sealed class HeadscaleException(HeadscaleFailure failure, string message, int? statusCode, Exception? inner = null)
    : Exception(message, inner)
{
    public HeadscaleFailure Failure { get; } = failure;
    public int? StatusCode { get; } = statusCode;
}
