using AsyncRequests.Requests;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Api.Outbox;

/// <summary>
/// Sends the messages of requests that were committed but never sent (the queue was unreachable,
/// SQS refused an entry, or the process died between commit and send). Each tick it drains: passes run
/// back to back while they find a full batch, so a backlog goes out as fast as SQS takes it, and the
/// interval only paces the look for new stragglers. Row locks with SKIP LOCKED let several Api instances
/// relay side by side without sending the same rows at once; a pass holds its locks for one send at most.
/// </summary>
public sealed partial class OutboxRelay(
    NpgsqlDataSource dataSource,
    RequestPublisher publisher,
    RelayHandoffs handoffs,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    RequestStoreReadiness readiness,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    // While a drain runs, the backlog gauge is refreshed this often rather than after every pass: a count
    // reads every unsent row's index entry, which is what a large backlog has many of.
    private static readonly TimeSpan s_backlogRefresh = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WaitAsync(stoppingToken);
        // The passes stay out of tracing; a relayed send still joins its request's trace.
        using var untraced = BackgroundTracing.Suppress();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.IntervalSeconds), time);
        do
        {
            handoffs.Report();
            try
            {
                await DrainAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogRelayFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>
    /// Runs passes until one finds less than a full batch, or sends nothing (SQS is down: the next tick
    /// tries again), then records the backlog.
    /// </summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var relayed = SendOutcome.None;
        var passes = 0;
        var backlogRecordedAt = time.GetUtcNow();
        while (true)
        {
            var (claimed, outcome) = await RelayPassAsync(cancellationToken);
            relayed = SendOutcome.Combine([relayed, outcome]);
            passes++;
            if (claimed < options.Value.BatchSize || outcome.Sent.Count == 0)
            {
                break;
            }

            if (time.GetUtcNow() - backlogRecordedAt >= s_backlogRefresh)
            {
                await RecordBacklogAsync(cancellationToken);
                backlogRecordedAt = time.GetUtcNow();
            }
        }

        var backlog = await RecordBacklogAsync(cancellationToken);
        if (relayed.Sent.Count > 0)
        {
            LogRelayed(logger, relayed.Sent.Count, passes, backlog);
        }

        if (relayed.Unsent > 0)
        {
            LogUnsent(logger, relayed.Unsent, relayed.TimedOut, relayed.Refused, relayed.Failed, relayed.Error);
        }
    }

    /// <summary>
    /// Locks a batch of unsent rows, sends them (all calls at once, so the locks are held for one send
    /// timeout at most), clears the marks of the sent ones and commits; returns how many rows it claimed.
    /// </summary>
    private async Task<(int Claimed, SendOutcome Outcome)> RelayPassAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var unsent = new List<OutboxMessage>();
        await using (var select = new NpgsqlCommand(
            """
            SELECT id, type, client_id, trace_parent, trace_state FROM requests
            WHERE published_at IS NULL AND created_at < $1
            ORDER BY created_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
            """,
            connection)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = time.GetUtcNow().AddSeconds(-options.Value.MinimumAgeSeconds) },
                new NpgsqlParameter { Value = options.Value.BatchSize },
            },
        })
        {
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                unsent.Add(new OutboxMessage(
                    reader.GetGuid(0),
                    reader.GetString(1),
                    reader.GetString(2),
                    await reader.IsDBNullAsync(3, cancellationToken) ? null : reader.GetString(3),
                    await reader.IsDBNullAsync(4, cancellationToken) ? null : reader.GetString(4)));
            }
        }

        var outcome = await publisher.SendAsync(unsent, cancellationToken);
        if (outcome.Sent.Count > 0)
        {
            await publisher.ClearMarksAsync(connection, outcome.Sent, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (unsent.Count, outcome);
    }

    /// <summary>Counts the unsent rows (served by the partial index ix_requests_unpublished) into the backlog gauge.</summary>
    private async Task<long> RecordBacklogAsync(CancellationToken cancellationToken)
    {
        await using var backlog = dataSource.CreateCommand("SELECT count(*) FROM requests WHERE published_at IS NULL");
        var count = (long)(await backlog.ExecuteScalarAsync(cancellationToken))!;
        RequestTelemetry.OutboxBacklog.Record(count);
        return count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Relayed {Count} unsent request messages in {Passes} passes; {Backlog} remain unsent")]
    private static partial void LogRelayed(ILogger logger, int count, int passes, long backlog);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The outbox relay could not send {Count} request messages ({TimedOut} timed out, {Refused} refused by SQS, {Failed} failed); it tries again on the next tick")]
    private static partial void LogUnsent(ILogger logger, int count, int timedOut, int refused, int failed, Exception? exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox relay pass failed; it runs again on the next tick")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
