using AsyncRequests.Requests.Storage;
using Npgsql;
using NpgsqlTypes;

namespace AsyncRequests.Api.Webhooks;

/// <summary>
/// All the SQL of webhook delivery. The rows are written by a trigger on <c>requests</c> (migration
/// WebhookDeliveries); here dispatchers claim due ones under a lease and record what each attempt came to.
/// Times come from the database's clock, so several Api instances agree on when a lease runs out.
/// </summary>
public sealed class WebhookDeliveries(NpgsqlDataSource dataSource)
{
    /// <summary>The longest <see cref="WebhookDelivery.LastError"/> the column holds.</summary>
    public const int MaxErrorLength = 500;

    // Claims take turns under this lock (its key is "webhooks" in ASCII, the same in every instance), so
    // each sees the attempts the claims before it started and no destination gets more than its limit;
    // a claim runs for milliseconds, once a poll per instance.
    private const string ClaimLockSql = "SELECT pg_advisory_xact_lock(8603390863846894451)";

    // A destination is a callback URL's scheme, host and port as written. Attempts under way are the
    // pending deliveries whose lease has not run out (one that ran out makes its delivery due again). Due
    // deliveries are ranked within their destination, and only the ranks that fit next to the attempts
    // under way are taken, the first of each destination before the second of any: a receiver with a
    // backlog neither fills a claim nor holds the others up.
    // SKIP LOCKED keeps off rows whose outcome is being recorded; the lease (next_attempt_at moved past
    // it) keeps the row off every later claim until the holder records the outcome, or until it died.
    private const string ClaimSql =
        """
        WITH unfinished AS (
            SELECT d.id, d.next_attempt_at, d.locked_until,
                   lower(substring(r.callback_url from '^[^:/?#]+://[^/?#]*')) AS destination
            FROM webhook_deliveries d JOIN requests r ON r.id = d.request_id
            WHERE d.state = 'pending' AND (d.locked_until > now() OR d.next_attempt_at <= now())
        ), sending AS (
            SELECT destination, count(*) AS attempts FROM unfinished WHERE locked_until > now() GROUP BY destination
        ), due AS (
            SELECT id, next_attempt_at, destination,
                   row_number() OVER (PARTITION BY destination ORDER BY next_attempt_at, id) AS rank
            FROM unfinished WHERE next_attempt_at <= now()
        ), chosen AS (
            SELECT due.id FROM due LEFT JOIN sending USING (destination)
            WHERE due.rank + coalesce(sending.attempts, 0) <= $3
            ORDER BY due.rank, due.next_attempt_at
            LIMIT $1
        ), claimed AS (
            SELECT id FROM webhook_deliveries
            WHERE id IN (SELECT id FROM chosen) AND state = 'pending' AND next_attempt_at <= now()
            FOR UPDATE SKIP LOCKED
        )
        UPDATE webhook_deliveries d
        SET attempts = d.attempts + 1, last_attempt_at = now(), locked_until = now() + $2, next_attempt_at = now() + $2
        FROM claimed, requests r
        WHERE d.id = claimed.id AND r.id = d.request_id
        RETURNING d.id, d.request_id, d.request_status, d.attempts, d.created_at, d.last_attempt_at, d.locked_until,
                  d.payload, r.callback_url, r.trace_parent, r.trace_state
        """;

    // Guarded by the lease: a holder whose lease ran out (and was taken over) or whose delivery was
    // superseded meanwhile records nothing.
    private const string RecordSql =
        """
        UPDATE webhook_deliveries
        SET state = $3, next_attempt_at = coalesce($4, next_attempt_at), locked_until = NULL,
            last_status_code = $5, last_error = $6, payload = coalesce(payload, $7),
            finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END
        WHERE id = $1 AND locked_until = $2 AND state = 'pending'
        """;

    private const string BacklogSql = "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'";

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries for <paramref name="lease"/>, counting the attempt,
    /// and none that would make more than <paramref name="perDestination"/> attempts under way to one destination.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimDueAsync(int limit, int perDestination, TimeSpan lease, CancellationToken cancellationToken)
    {
        // One batch is one implicit transaction: the lock is held until the claim has committed.
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(ClaimLockSql));
        var claim = new NpgsqlBatchCommand(ClaimSql);
        claim.Parameters.Add(new NpgsqlParameter { Value = limit });
        claim.Parameters.Add(new NpgsqlParameter { Value = lease });
        claim.Parameters.Add(new NpgsqlParameter { Value = (long)perDestination });
        batch.BatchCommands.Add(claim);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var claimed = new List<ClaimedDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedDelivery(
                reader.GetString(0),
                reader.GetGuid(1),
                RequestStatusExtensions.ParseWireName(reader.GetString(2)),
                reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                await reader.IsDBNullAsync(7, cancellationToken) ? null : reader.GetFieldValue<byte[]>(7),
                reader.GetString(8),
                await reader.IsDBNullAsync(9, cancellationToken) ? null : reader.GetString(9),
                await reader.IsDBNullAsync(10, cancellationToken) ? null : reader.GetString(10)));
        }

        return claimed;
    }

    /// <summary>Records an attempt's outcome and ends the lease; false when the lease was no longer held.</summary>
    public async Task<bool> RecordAsync(ClaimedDelivery delivery, DeliveryResult result, byte[] payload, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(RecordSql);
        command.Parameters.Add(new NpgsqlParameter { Value = delivery.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = delivery.LockedUntil });
        command.Parameters.Add(new NpgsqlParameter { Value = result.State.ToWireName() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)result.NextAttemptAt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)result.StatusCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)Truncate(result.Error) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = payload });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Deliveries neither delivered nor given up: a count over the partial index of pending rows.</summary>
    public async Task<long> CountPendingAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(BacklogSql);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static string? Truncate(string? error) =>
        error is { Length: > MaxErrorLength } ? error[..(MaxErrorLength - 3)] + "..." : error;
}

/// <summary>A delivery a dispatcher holds until <see cref="LockedUntil"/>; <see cref="Attempts"/> counts this attempt.</summary>
public sealed record ClaimedDelivery(
    string Id,
    Guid RequestId,
    RequestStatus RequestStatus,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset ClaimedAt,
    DateTimeOffset LockedUntil,
    byte[]? Payload,
    string CallbackUrl,
    string? TraceParent,
    string? TraceState);

/// <summary>What to record of an attempt: delivered, failed for good, or pending again from <see cref="NextAttemptAt"/>.</summary>
public sealed record DeliveryResult(WebhookState State, DateTimeOffset? NextAttemptAt, int? StatusCode, string? Error);
