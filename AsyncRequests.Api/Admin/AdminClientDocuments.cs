namespace AsyncRequests.Api.Admin;

/// <summary>The body of <c>POST /admin/clients</c>.</summary>
public sealed record CreateClientBody(string? Name);

/// <summary>A new client and its first key; <see cref="Key"/> is shown this once and stored only as a digest.</summary>
public sealed record ClientCreated(string Id, string Name, string Key, string KeyId);

/// <summary>A new key of a client; <see cref="Key"/> is shown this once.</summary>
public sealed record KeyCreated(string KeyId, string Key);

public sealed record ClientKeySummary(string KeyId, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>
/// A client's own quotas, the body and answer of <c>PUT /admin/clients/{id}/limits</c>; a null limit is the
/// <c>Clients:*</c> default, and 0 is no limit, as there.
/// </summary>
public sealed record ClientLimitOverrides(int? RequestsPerSecond, int? Burst, int? MaxPendingRequests);

/// <summary>One row of <c>GET /admin/clients</c>.</summary>
public sealed record ClientSummary(
    string Id, string Name, DateTimeOffset CreatedAt, bool Disabled, ClientLimitOverrides Limits, IReadOnlyList<ClientKeySummary> Keys);
