namespace AsyncRequests.Requests.Storage;

/// <summary>A caller of the request routes: every request belongs to one, and only its keys open it.</summary>
public sealed class ApiClient
{
    /// <summary>The client every caller is in Development when authentication is not required.</summary>
    public const string AnonymousId = "anonymous";

    public const int MaxIdLength = 64;
    public const int MaxNameLength = 200;

    public required string Id { get; init; }

    public required string Name { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>A disabled client's keys are refused; its requests stay as they are.</summary>
    public bool Disabled { get; set; }

    /// <summary>This client's submits per second on one Api instance; null: <c>Clients:RequestsPerSecond</c>.</summary>
    public int? RequestsPerSecond { get; set; }

    /// <summary>This client's token bucket size; null: <c>Clients:Burst</c>.</summary>
    public int? Burst { get; set; }

    /// <summary>This client's cap on unfinished requests; null: <c>Clients:MaxPendingRequests</c>.</summary>
    public int? MaxPendingRequests { get; set; }

    public List<ApiClientKey> Keys { get; init; } = [];
}

/// <summary>One API key of a client, kept only as a digest; the plaintext was shown once, when it was made.</summary>
public sealed class ApiClientKey
{
    public required string Id { get; init; }

    public required string ClientId { get; init; }

    /// <summary>SHA-256 of the key.</summary>
    public required byte[] Digest { get; init; }

    /// <summary>The key's first characters, so an operator can tell which key a caller holds.</summary>
    public required string Prefix { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the key was last looked up; refreshed at most once per cache period per Api instance.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
}
