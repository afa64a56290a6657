namespace AsyncRequests.Api.Admin;

/// <summary>The body of <c>POST /admin/clients</c>.</summary>
public sealed record CreateClientBody(string? Name);

/// <summary>A new client and its first key; <see cref="Key"/> is shown this once and stored only as a digest.</summary>
public sealed record ClientCreated(string Id, string Name, string Key, string KeyId);

/// <summary>A new key of a client; <see cref="Key"/> is shown this once.</summary>
public sealed record KeyCreated(string KeyId, string Key);

public sealed record ClientKeySummary(string KeyId, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>One row of <c>GET /admin/clients</c>.</summary>
public sealed record ClientSummary(string Id, string Name, DateTimeOffset CreatedAt, bool Disabled, IReadOnlyList<ClientKeySummary> Keys);
