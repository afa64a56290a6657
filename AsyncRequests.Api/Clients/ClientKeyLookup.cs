using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Api.Clients;

/// <summary>
/// Finds the client a key belongs to, by the key's digest, and a client's limits. What it reads is kept for
/// <see cref="ClientOptions.KeyCacheSeconds"/>, so a busy client costs one lookup per period per
/// instance, and a revoked key, a disabled client or changed limits take effect everywhere within that period.
/// Calls that miss the same entry at once share one read: when a busy client's entry expires, its hundreds of
/// waiting calls cost one round trip, not one pool connection each.
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
    private readonly ConcurrentDictionary<string, Lazy<Task>> _reading = new();

    // Made once: every call passes one, and a cache hit then allocates nothing.
    private readonly Func<byte[], Task<string?>> _loadClient;
    private readonly Func<string, Task<ClientLimits>> _loadLimits;

    public ClientKeyLookup(NpgsqlDataSource dataSource, TimeProvider time, IOptions<ClientOptions> options)
    {
        _dataSource = dataSource;
        _time = time;
        _defaults = options.Value;
        _cacheFor = TimeSpan.FromSeconds(options.Value.KeyCacheSeconds);
        _loadClient = LoadClientAsync;
        _loadLimits = LoadLimitsAsync;
    }

    /// <summary>The id of the enabled client that holds <paramref name="key"/>; null for an unknown or revoked key or a disabled client.</summary>
    public ValueTask<string?> FindClientAsync(string key, CancellationToken cancellationToken)
    {
        var digest = ClientKeys.Digest(key);
        return FindAsync(Convert.ToBase64String(digest), digest, _loadClient, cancellationToken);
    }

    /// <summary>The limits of <paramref name="clientId"/>; the defaults for a client with no row (one known only from a JWT).</summary>
    public ValueTask<ClientLimits> FindLimitsAsync(string clientId, CancellationToken cancellationToken) =>
        FindAsync(LimitsEntryPrefix + clientId, clientId, _loadLimits, cancellationToken);

    public void Dispose() => _cache.Dispose();

    private ValueTask<T> FindAsync<TKey, T>(string cacheKey, TKey key, Func<TKey, Task<T>> read, CancellationToken cancellationToken) =>
        _cache.TryGetValue(cacheKey, out T? cached)
            ? ValueTask.FromResult(cached!)
            : new ValueTask<T>(SharedReadAsync(cacheKey, key, read).WaitAsync(cancellationToken));

    // Apart from FindAsync, so that only a miss allocates the closure.
    private Task<T> SharedReadAsync<TKey, T>(string cacheKey, TKey key, Func<TKey, Task<T>> read)
    {
        // Lazy: of two calls racing to add the entry, only the one added starts a read.
        var reading = _reading.GetOrAdd(cacheKey, _ => new Lazy<Task>(() => ReadAndRememberAsync(cacheKey, key, read)));
        return (Task<T>)reading.Value;
    }

    // The shared read belongs to no one caller, so no caller's cancellation stops it; the command timeout bounds it.
    private async Task<T> ReadAndRememberAsync<TKey, T>(string cacheKey, TKey key, Func<TKey, Task<T>> read)
    {
        try
        {
            var value = await read(key);
            Remember(cacheKey, value);
            return value;
        }
        finally
        {
            _reading.TryRemove(cacheKey, out _);
        }
    }

    private async Task<ClientLimits> LoadLimitsAsync(string clientId)
    {
        await using var command = _dataSource.CreateCommand(FindLimitsSql);
        command.Parameters.Add(new NpgsqlParameter { Value = clientId });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? ReadLimits(reader, 0) : ClientLimits.Of(null, null, null, _defaults);
    }

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

    private async Task<string?> LoadClientAsync(byte[] digest)
    {
        await using var command = _dataSource.CreateCommand(FindSql);
        command.Parameters.Add(new NpgsqlParameter { Value = digest });
        command.Parameters.Add(new NpgsqlParameter { Value = _time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
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
