using System.Text.Json.Serialization;

namespace Platform.Web.Features.Tailnets.Headscale;

// Hand-written from Headscale v0.29.2's published API description (definitions v1*). Ids are
// uint64 carried as JSON strings there; they stay strings here. A test checks every field the
// client sends against the description.

public sealed record HeadscaleUser(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("displayName")] string? DisplayName = null,
    [property: JsonPropertyName("createdAt")] DateTimeOffset? CreatedAt = null);

public sealed record HeadscalePreAuthKey(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("key")] string? Key,
    [property: JsonPropertyName("user")] HeadscaleUser? User,
    [property: JsonPropertyName("reusable")] bool Reusable,
    [property: JsonPropertyName("ephemeral")] bool Ephemeral,
    [property: JsonPropertyName("used")] bool Used,
    [property: JsonPropertyName("expiration")] DateTimeOffset? Expiration,
    [property: JsonPropertyName("aclTags")] IReadOnlyList<string>? AclTags = null);

public sealed record HeadscaleNode(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("givenName")] string? GivenName,
    [property: JsonPropertyName("user")] HeadscaleUser? User,
    [property: JsonPropertyName("ipAddresses")] IReadOnlyList<string>? IpAddresses,
    [property: JsonPropertyName("lastSeen")] DateTimeOffset? LastSeen,
    [property: JsonPropertyName("expiry")] DateTimeOffset? Expiry,
    [property: JsonPropertyName("online")] bool Online,
    [property: JsonPropertyName("preAuthKey")] HeadscalePreAuthKey? PreAuthKey,
    [property: JsonPropertyName("tags")] IReadOnlyList<string>? Tags)
{
    public string DisplayName => string.IsNullOrEmpty(GivenName) ? Name ?? Id : GivenName;
    public bool IsExpired(DateTimeOffset now) => Expiry is { } e && e > DateTimeOffset.UnixEpoch && e <= now;
}

/// <summary>A request body or response of the API, named after its definition in the description.</summary>
internal static class HeadscaleWire
{
    // Requests
    public sealed record CreateUserRequest(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("displayName")] string? DisplayName);

    public sealed record CreatePreAuthKeyRequest(
        [property: JsonPropertyName("user")] string User,
        [property: JsonPropertyName("reusable")] bool Reusable,
        [property: JsonPropertyName("ephemeral")] bool Ephemeral,
        [property: JsonPropertyName("expiration")] DateTimeOffset Expiration,
        [property: JsonPropertyName("aclTags")] IReadOnlyList<string> AclTags);

    public sealed record ExpirePreAuthKeyRequest([property: JsonPropertyName("id")] string Id);
    public sealed record CheckPolicyRequest([property: JsonPropertyName("policy")] string Policy);
    public sealed record SetPolicyRequest([property: JsonPropertyName("policy")] string Policy);

    // Responses
    public sealed record HealthResponse([property: JsonPropertyName("databaseConnectivity")] bool DatabaseConnectivity);
    public sealed record ListUsersResponse([property: JsonPropertyName("users")] List<HeadscaleUser>? Users);
    public sealed record CreateUserResponse([property: JsonPropertyName("user")] HeadscaleUser? User);
    public sealed record ListNodesResponse([property: JsonPropertyName("nodes")] List<HeadscaleNode>? Nodes);
    public sealed record ExpireNodeResponse([property: JsonPropertyName("node")] HeadscaleNode? Node);
    public sealed record CreatePreAuthKeyResponse([property: JsonPropertyName("preAuthKey")] HeadscalePreAuthKey? PreAuthKey);
    public sealed record ListPreAuthKeysResponse([property: JsonPropertyName("preAuthKeys")] List<HeadscalePreAuthKey>? PreAuthKeys);
    public sealed record PolicyResponse(
        [property: JsonPropertyName("policy")] string? Policy,
        [property: JsonPropertyName("updatedAt")] DateTimeOffset? UpdatedAt);
    public sealed record RpcStatus(
        [property: JsonPropertyName("code")] int Code,
        [property: JsonPropertyName("message")] string? Message);
    /// <summary>Headscale's <c>/version</c> answer (outside the API description).</summary>
    public sealed record VersionResponse([property: JsonPropertyName("version")] string? Version);
}
