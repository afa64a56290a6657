using Npgsql;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Gives a dead-lettered request a fresh message: it goes back to pending with its outbox mark
/// cleared, and the Api's outbox relay sends a new message whose receive count starts at zero.
/// </summary>
public sealed class DeadLetterRequeue(NpgsqlDataSource database, TimeProvider time)
{
    // One statement, so the guarded update and its history row commit together.
    private const string RequeueSql = """
        WITH requeued AS (
            UPDATE requests
            SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, published_at = NULL, updated_at = $3
            WHERE id = $1 AND attempts = $2 AND (status = 'pending' OR (status = 'processing' AND lease_expires_at < $3))
            RETURNING id
        ), history AS (
            INSERT INTO status_changes (request_id, status, at, attempt, detail)
            SELECT id, 'pending', $3, $2, $4 FROM requeued
        )
        SELECT count(*) FROM requeued
        """;

    /// <summary>
    /// Re-queues the request if it is still as it was read: not terminal, not held by a live worker,
    /// and on <paramref name="attempts"/>. False when it changed meanwhile.
    /// </summary>
    public async Task<bool> RequeueAsync(Guid requestId, int attempts, string detail, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(RequeueSql);
        command.Parameters.Add(new NpgsqlParameter { Value = requestId });
        command.Parameters.Add(new NpgsqlParameter { Value = attempts });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = detail });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }
}
