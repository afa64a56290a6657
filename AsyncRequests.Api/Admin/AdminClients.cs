using AsyncRequests.Api.Clients;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Api.Admin;

/// <summary>What operators do to clients: create them, list them, issue and revoke their keys, disable and enable them, set their limits.</summary>
public sealed partial class AdminClients(RequestsDbContext db, TimeProvider time, ILogger<AdminClients> logger)
{
    public async Task<ClientCreated> CreateAsync(string name, CancellationToken cancellationToken)
    {
        var key = ClientKeys.Create();
        var client = new ApiClient { Id = ClientKeys.NewClientId(), Name = name, CreatedAt = time.GetUtcNow() };
        client.Keys.Add(NewKeyRow(client.Id, key));
        db.Clients.Add(client);
        await db.SaveChangesAsync(cancellationToken);
        LogCreated(logger, client.Id, key.Id);
        return new ClientCreated(client.Id, client.Name, key.Plaintext, key.Id);
    }

    public async Task<List<ClientSummary>> ListAsync(CancellationToken cancellationToken) =>
        await db.Clients.AsNoTracking()
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id)
            .Select(c => new ClientSummary(
                c.Id,
                c.Name,
                c.CreatedAt,
                c.Disabled,
                new ClientLimitOverrides(c.RequestsPerSecond, c.Burst, c.MaxPendingRequests),
                c.Keys.OrderBy(k => k.CreatedAt).Select(k => new ClientKeySummary(k.Id, k.Prefix, k.CreatedAt, k.LastUsedAt)).ToList()))
            .ToListAsync(cancellationToken);

    /// <summary>A further key for rotation; null when there is no such client.</summary>
    public async Task<KeyCreated?> AddKeyAsync(string clientId, CancellationToken cancellationToken)
    {
        if (!await ExistsAsync(clientId, cancellationToken))
        {
            return null;
        }

        var key = ClientKeys.Create();
        db.ClientKeys.Add(NewKeyRow(clientId, key));
        await db.SaveChangesAsync(cancellationToken);
        LogKeyAdded(logger, clientId, key.Id);
        return new KeyCreated(key.Id, key.Plaintext);
    }

    /// <summary>Deletes the key; false when the client holds no such key.</summary>
    public async Task<bool> RevokeKeyAsync(string clientId, string keyId, CancellationToken cancellationToken)
    {
        var revoked = await db.ClientKeys.Where(k => k.ClientId == clientId && k.Id == keyId).ExecuteDeleteAsync(cancellationToken) == 1;
        if (revoked)
        {
            LogKeyRevoked(logger, clientId, keyId);
        }

        return revoked;
    }

    /// <summary>false when there is no such client.</summary>
    public async Task<bool> SetDisabledAsync(string clientId, bool disabled, CancellationToken cancellationToken)
    {
        var changed = await db.Clients.Where(c => c.Id == clientId).ExecuteUpdateAsync(s => s.SetProperty(c => c.Disabled, disabled), cancellationToken) == 1;
        if (changed)
        {
            LogDisabledChanged(logger, clientId, disabled);
        }

        return changed;
    }

    /// <summary>Replaces the client's limits (a null one: the default); false when there is no such client.</summary>
    public async Task<bool> SetLimitsAsync(string clientId, ClientLimitOverrides limits, CancellationToken cancellationToken)
    {
        var changed = await db.Clients.Where(c => c.Id == clientId).ExecuteUpdateAsync(
            s => s.SetProperty(c => c.RequestsPerSecond, limits.RequestsPerSecond)
                .SetProperty(c => c.Burst, limits.Burst)
                .SetProperty(c => c.MaxPendingRequests, limits.MaxPendingRequests),
            cancellationToken) == 1;
        if (changed)
        {
            LogLimitsSet(logger, clientId, limits.RequestsPerSecond, limits.Burst, limits.MaxPendingRequests);
        }

        return changed;
    }

    private Task<bool> ExistsAsync(string clientId, CancellationToken cancellationToken) =>
        db.Clients.AnyAsync(c => c.Id == clientId, cancellationToken);

    private ApiClientKey NewKeyRow(string clientId, ClientKeys.NewKey key) =>
        new() { Id = key.Id, ClientId = clientId, Digest = key.Digest, Prefix = key.DisplayPrefix, CreatedAt = time.GetUtcNow() };

    [LoggerMessage(Level = LogLevel.Information, Message = "Client {ClientId} created with key {KeyId}")]
    private static partial void LogCreated(ILogger logger, string clientId, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Key {KeyId} added to client {ClientId}")]
    private static partial void LogKeyAdded(ILogger logger, string clientId, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Key {KeyId} of client {ClientId} revoked")]
    private static partial void LogKeyRevoked(ILogger logger, string clientId, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client {ClientId} disabled: {Disabled}")]
    private static partial void LogDisabledChanged(ILogger logger, string clientId, bool disabled);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Client {ClientId} limits set: {RequestsPerSecond} per second, burst {Burst}, {MaxPendingRequests} pending (null: default)")]
    private static partial void LogLimitsSet(ILogger logger, string clientId, int? requestsPerSecond, int? burst, int? maxPendingRequests);
}
