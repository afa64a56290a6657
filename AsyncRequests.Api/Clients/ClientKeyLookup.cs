using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Api.Clients;

/// <summary>
/// Finds the client a key belongs to, by the key's digest, and a client's limits. What it reads is kept for
/// <see cref="ClientOptions.KeyCacheSeconds"/>, so a busy client costs one lookup per period per
/// instance, and a revoked key, a disabled client or changed limits take effect everywhere within that period.
/// </summary>
public sealed class ClientKeyLookup : IDisposable
{
    /// <summary>Unknown keys are remembered too (so a flood of wrong keys does not reach the database), within this bound.</summary>
    private const int MaxCachedKeys = 10_000;

    // The lookup also records the use: one round trip per period, and the admin list shows when a key was last used.
    private const string FindSql =
        """
        UPDATE client_keys k SET last_used_at = $2
        FROM clients c
        WHERE k.digest = $1 AND c.id = k.client_id
        RETURNING k.digest, k.client_id, c.disabled, c.requests_per_second, c.burst, c.max_pending_requests
        """;

    private const string FindLimitsSql = "SELECT requests_per_second, burst, max_pending_requests FROM clients WHERE id = $1";

    // Limits share the cache with keys; a key's entry is the base64 of its digest, which never holds this separator.
    private const string LimitsEntryPrefix = "limits:";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly TimeSpan _cacheFor;
    private readonly ClientOptions _defaults;
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxCachedKeys });

    public ClientKeyLookup(NpgsqlDataSource dataSource, TimeProvider time, IOptions<ClientOptions> options)
    {
        _dataSource = dataSource;
        _time = time;
        _defaults = options.Value;
        _cacheFor = TimeSpan.FromSeconds(options.Value.KeyCacheSeconds);
    }

    /// <summary>The id of the enabled client that holds <paramref name="key"/>; null for an unknown or revoked key or a disabled client.</summary>
    public async ValueTask<string?> FindClientAsync(string key, CancellationToken cancellationToken)
    {
        var digest = ClientKeys.Digest(key);
        var cacheKey = Convert.ToBase64String(digest);
        if (!_cache.TryGetValue(cacheKey, out string? clientId))
        {
            clientId = await LoadAsync(digest, cancellationToken);
            Remember(cacheKey, clientId);
        }

        return clientId;
    }

    /// <summary>The limits of <paramref name="clientId"/>; the defaults for a client with no row (one known only from a JWT).</summary>
    public async ValueTask<ClientLimits> FindLimitsAsync(string clientId, CancellationToken cancellationToken)
    {
        if (!_cache.TryGetValue(LimitsEntryPrefix + clientId, out ClientLimits? limits))
        {
            await using var command = _dataSource.CreateCommand(FindLimitsSql);
            command.Parameters.Add(new NpgsqlParameter { Value = clientId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            limits = await reader.ReadAsync(cancellationToken) ? ReadLimits(reader, 0) : ClientLimits.Of(null, null, null, _defaults);
            Remember(LimitsEntryPrefix + clientId, limits);
        }

        return limits!;
    }

    public void Dispose() => _cache.Dispose();

    private void Remember<T>(string cacheKey, T value)
    {
        if (_cacheFor > TimeSpan.Zero)
        {
            _cache.Set(cacheKey, value, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _cacheFor });
        }
    }

    private ClientLimits ReadLimits(NpgsqlDataReader reader, int first) =>
        ClientLimits.Of(NullableInt(reader, first), NullableInt(reader, first + 1), NullableInt(reader, first + 2), _defaults);

    private static int? NullableInt(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private async Task<string?> LoadAsync(byte[] digest, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(FindSql);
        command.Parameters.Add(new NpgsqlParameter { Value = digest });
        command.Parameters.Add(new NpgsqlParameter { Value = _time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        // The index found the row by equality; comparing again in constant time keeps the answer's
        // timing independent of how much of a near-miss digest matched, whatever the index did.
        var stored = reader.GetFieldValue<byte[]>(0);
        var matches = CryptographicOperations.FixedTimeEquals(stored, digest);
        var clientId = reader.GetString(1);
        var disabled = reader.GetBoolean(2);
        if (!matches || disabled)
        {
            return null;
        }

        // The client's limits come with its key: a key's caller costs no second round trip.
        Remember(LimitsEntryPrefix + clientId, ReadLimits(reader, 3));
        return clientId;
    }
}
