using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace AsyncRequests.Processor.Processing;

/// <summary>
/// The SQL of a worker's claims, leases and outcomes. Every status change a worker makes is a guarded
/// update: a worker acts on a request only while it holds the lease it was given at claim time (owner
/// and attempt), so a worker that lost its lease (it stalled and another took over) can no longer change the request.
/// Each change writes its history row in the same statement, and each statement serves a whole batch.
/// </summary>
public sealed class RequestLeases(
    NpgsqlDataSource database,
    TimeProvider time,
    IOptions<QueueOptions> queueOptions,
    IOptions<ProcessorOptions> processorOptions)
{
    // One statement, so that the claim and the classification of what it could not claim come from
    // the same snapshot: deciding from a second read raced with the holder's own changes. Each id comes
    // with its own owner (a statement serves several callers); the ids are distinct. Like every statement here
    // that changes several rows, it first locks them in id order (RequestRowLocks).
    private const string ClaimSql = $"""
        WITH claimed AS (
            UPDATE requests
            SET status = 'processing', attempts = attempts + 1, lease_owner = $2[array_position($1, id)], lease_expires_at = $3,
                started_at = coalesce(started_at, $4), progress_percent = 0, progress_stage = NULL, updated_at = $4
            WHERE id = ANY($1) AND attempts < $5
              AND (status = 'pending' OR (status = 'processing' AND lease_expires_at < $4))
              AND {RequestRowLocks.LockedInIdOrder}
            RETURNING id, type, input, attempts, cancel_requested
        ), history AS (
            INSERT INTO status_changes (request_id, status, at, attempt)
            SELECT id, 'processing', $4, attempts FROM claimed
        )
        SELECT true, id, 'processing', type, input::text, attempts, cancel_requested, NULL::timestamptz FROM claimed
        UNION ALL
        SELECT false, id, status, type, NULL, attempts, cancel_requested, lease_expires_at FROM requests r
        WHERE id = ANY($1) AND NOT EXISTS (SELECT FROM claimed c WHERE c.id = r.id)
        """;

    private const string RecordSql = $"""
        WITH outcome AS (
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
                AS o(id, owner, attempt, status, result, error, detail, returned_attempts)
        ), updated AS (
            UPDATE requests r
            SET status = o.status, lease_owner = NULL, lease_expires_at = NULL, updated_at = $9,
                attempts = r.attempts - o.returned_attempts,
                result = CASE WHEN o.status = 'succeeded' THEN o.result::jsonb ELSE r.result END,
                error = CASE WHEN o.status = 'succeeded' THEN NULL ELSE coalesce(o.error, r.error) END,
                progress_percent = CASE WHEN o.status = 'succeeded' THEN 100 ELSE r.progress_percent END,
                progress_stage = CASE WHEN o.status = 'succeeded' THEN 'done' ELSE r.progress_stage END,
                completed_at = CASE WHEN o.status IN ('succeeded', 'failed', 'cancelled') THEN $9 ELSE r.completed_at END
            FROM outcome o
            WHERE r.id = o.id AND r.lease_owner = o.owner AND r.attempts = o.attempt AND r.status = 'processing'
              AND {RequestRowLocks.LockedInIdOrder}
            RETURNING r.id, o.status, o.attempt, o.detail
        ), history AS (
            INSERT INTO status_changes (request_id, status, at, attempt, detail)
            SELECT id, status, $9, attempt, detail FROM updated
        )
        SELECT id FROM updated
        """;

    // A null lease (progress only) leaves the lease alone: it must never outlive the message's visibility.
    private const string KeepSql = $"""
        UPDATE requests r
        SET lease_expires_at = coalesce($5, r.lease_expires_at),
            progress_percent = coalesce(k.percent, r.progress_percent),
            progress_stage = CASE WHEN k.percent IS NULL THEN r.progress_stage ELSE k.stage END,
            updated_at = CASE WHEN k.percent IS NULL THEN r.updated_at ELSE $6 END
        FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[]) AS k(id, owner, percent, stage)
        WHERE r.id = k.id AND r.lease_owner = k.owner AND r.status = 'processing' AND {RequestRowLocks.LockedInIdOrder}
        RETURNING r.id
        """;

    private const string FailAbandonedSql = """
        WITH failed AS (
            UPDATE requests
            SET status = 'failed', error = $3, lease_owner = NULL, lease_expires_at = NULL, updated_at = $4, completed_at = $4
            WHERE id = $1 AND attempts = $2 AND (status = 'pending' OR (status = 'processing' AND lease_expires_at < $4))
            RETURNING id
        ), history AS (
            INSERT INTO status_changes (request_id, status, at, attempt, detail)
            SELECT id, 'failed', $4, $2, $3 FROM failed
        )
        SELECT count(*) FROM failed
        """;

    private const string FindSql = """
        SELECT id, type, input::text, status, attempts, lease_expires_at, cancel_requested FROM requests WHERE id = $1
        """;

    public TimeSpan LeaseDuration => TimeSpan.FromSeconds(queueOptions.Value.VisibilityTimeoutSeconds);

    /// <summary>
    /// Claims every request of <paramref name="claims"/> that is free, each for its own owner, and says why the
    /// others were not; one result per claim, in order. Of several claims of one request only the first can
    /// claim it (for its owner); the others then find it held, as a duplicate message would.
    /// </summary>
    public async Task<IReadOnlyList<ClaimResult>> ClaimAsync(IReadOnlyList<RequestClaim> claims, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var maxAttempts = processorOptions.Value.MaxAttempts;
        var first = claims.DistinctBy(c => c.RequestId).ToList();
        await using var command = database.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter { Value = first.Select(c => c.RequestId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = first.Select(c => c.Owner).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = now + LeaseDuration });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = maxAttempts });

        var results = first.ToDictionary(c => c.RequestId, ClaimResult (_) => new ClaimResult.NotFound());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(1);
            var status = RequestStatusExtensions.ParseWireName(reader.GetString(2));
            var type = reader.GetString(3);
            var attempts = reader.GetInt32(5);
            var leaseExpiresAt = reader.IsDBNull(7) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(7);
            results[id] = (reader.GetBoolean(0), status, leaseExpiresAt) switch
            {
                (true, _, _) => new ClaimResult.Claimed(new AsyncRequest
                {
                    Id = id,
                    Type = type,
                    Input = reader.GetString(4),
                    Status = status,
                    Attempts = attempts,
                    CancelRequested = reader.GetBoolean(6),
                }),
                (_, var s, _) when s.IsTerminal() => new ClaimResult.AlreadyFinished(s),
                (_, RequestStatus.Processing, { } until) when until >= now => new ClaimResult.HeldElsewhere(until - now),
                _ when attempts >= maxAttempts => new ClaimResult.AttemptsExhausted(type, attempts),
                // Pending (or lapsed) with attempts left: it changed after the claim looked; look again soon.
                _ => new ClaimResult.LookAgain(),
            };
        }

        var answered = new HashSet<Guid>();
        return [.. claims.Select(c => results[c.RequestId] is ClaimResult.Claimed && !answered.Add(c.RequestId)
            ? new ClaimResult.HeldElsewhere(LeaseDuration)
            : results[c.RequestId])];
    }

    public async Task<AsyncRequest?> FindAsync(Guid requestId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(FindSql);
        command.Parameters.Add(new NpgsqlParameter { Value = requestId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new AsyncRequest
            {
                Id = reader.GetGuid(0),
                Type = reader.GetString(1),
                Input = reader.GetString(2),
                Status = RequestStatusExtensions.ParseWireName(reader.GetString(3)),
                Attempts = reader.GetInt32(4),
                LeaseExpiresAt = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                CancelRequested = reader.GetBoolean(6),
            }
            : null;
    }

    /// <summary>Records the outcomes of several handlers in one statement; returns those whose lease still held.</summary>
    public async Task<IReadOnlySet<Guid>> RecordAsync(IReadOnlyList<OutcomeRecord> outcomes, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(RecordSql);
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.RequestId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.Owner).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.Attempt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.Status.ToWireName()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.Result).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.Error).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.Detail).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = outcomes.Select(o => o.ReturnsAttempt ? 1 : 0).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await ReadIdsAsync(command, cancellationToken);
    }

    /// <summary>Extends the leases of running requests (and writes their latest progress); returns those still held.</summary>
    public Task<IReadOnlySet<Guid>> RenewAsync(IReadOnlyList<LeaseKeeping> leases, CancellationToken cancellationToken) =>
        KeepAsync(leases, time.GetUtcNow() + LeaseDuration, cancellationToken);

    /// <summary>Writes the latest progress of running requests, leaving their leases as they are.</summary>
    public Task<IReadOnlySet<Guid>> WriteProgressAsync(IReadOnlyList<LeaseKeeping> leases, CancellationToken cancellationToken) =>
        KeepAsync(leases, null, cancellationToken);

    /// <summary>Fails a request whose worker vanished during its last allowed attempt, if nothing changed since attempt <paramref name="attempt"/>.</summary>
    public async Task<bool> FailAbandonedAsync(Guid requestId, int attempt, string error, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(FailAbandonedSql);
        command.Parameters.Add(new NpgsqlParameter { Value = requestId });
        command.Parameters.Add(new NpgsqlParameter { Value = attempt });
        command.Parameters.Add(new NpgsqlParameter { Value = error });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    private async Task<IReadOnlySet<Guid>> KeepAsync(IReadOnlyList<LeaseKeeping> leases, DateTimeOffset? leaseUntil, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(KeepSql);
        command.Parameters.Add(new NpgsqlParameter { Value = leases.Select(l => l.RequestId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = leases.Select(l => l.Owner).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = leases.Select(l => l.Progress?.Percent).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = leases.Select(l => l.Progress?.Stage).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = leaseUntil.HasValue ? leaseUntil.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        return await ReadIdsAsync(command, cancellationToken);
    }

    private static async Task<IReadOnlySet<Guid>> ReadIdsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var ids = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }
}

/// <summary>
/// A handler's outcome, to be recorded if its worker still holds the lease of <see cref="Attempt"/>.
/// <see cref="ReturnsAttempt"/> uncounts the attempt (a stopping worker hands the request back).
/// </summary>
public sealed record OutcomeRecord(
    Guid RequestId, Guid Owner, int Attempt, RequestStatus Status, string? Result, string? Error, string? Detail, bool ReturnsAttempt = false);

/// <summary>A claim of request <see cref="RequestId"/> for the worker <see cref="Owner"/>.</summary>
public readonly record struct RequestClaim(Guid RequestId, Guid Owner);

/// <summary>A running request's lease and the latest progress its handler reported, if not yet written.</summary>
public sealed record LeaseKeeping(Guid RequestId, Guid Owner, Progress? Progress);

public sealed record Progress(int Percent, string Stage);

public abstract record ClaimResult
{
    private ClaimResult()
    {
    }

    /// <summary>This worker holds the request now and runs its handler.</summary>
    public sealed record Claimed(AsyncRequest Request) : ClaimResult;

    /// <summary>No such request: the message is not ours to act on.</summary>
    public sealed record NotFound : ClaimResult;

    /// <summary>A duplicate or late message: the request already reached <paramref name="Status"/>.</summary>
    public sealed record AlreadyFinished(RequestStatus Status) : ClaimResult;

    /// <summary>A live worker holds the request; look again when its lease would lapse.</summary>
    public sealed record HeldElsewhere(TimeSpan LeaseRemaining) : ClaimResult;

    /// <summary>The worker of the last allowed attempt vanished; the request is to be failed.</summary>
    public sealed record AttemptsExhausted(string Type, int Attempts) : ClaimResult;

    /// <summary>The request changed while the claim looked at it (its holder let it go): look again shortly.</summary>
    public sealed record LookAgain : ClaimResult;
}
