using AsyncRequests.Requests;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Api.Outbox;

/// <summary>
/// Sends the messages of requests that were committed but never sent (the queue was unreachable,
/// SQS refused an entry, or the process died between commit and send). Row locks with SKIP LOCKED
/// let several Api instances relay side by side without sending the same rows at once.
/// </summary>
public sealed partial class OutboxRelay(
    NpgsqlDataSource dataSource,
    RequestPublisher publisher,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The passes stay out of tracing; a relayed send still joins its request's trace.
        using var untraced = BackgroundTracing.Suppress();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.IntervalSeconds), time);
        do
        {
            try
            {
                await RelayAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogRelayFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RelayAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var unsent = new List<OutboxMessage>();
        await using (var select = new NpgsqlCommand(
            """
            SELECT id, type, trace_parent, trace_state FROM requests
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
                    await reader.IsDBNullAsync(2, cancellationToken) ? null : reader.GetString(2),
                    await reader.IsDBNullAsync(3, cancellationToken) ? null : reader.GetString(3)));
            }
        }

        var sent = await publisher.SendAsync(unsent, cancellationToken);
        if (sent.Count > 0)
        {
            await publisher.ClearMarksAsync(connection, sent, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        await using var backlog = new NpgsqlCommand("SELECT count(*) FROM requests WHERE published_at IS NULL", connection);
        RequestTelemetry.OutboxBacklog.Record((long)(await backlog.ExecuteScalarAsync(cancellationToken))!);
        if (sent.Count > 0)
        {
            LogRelayed(logger, sent.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Relayed {Count} unsent request messages")]
    private static partial void LogRelayed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox relay pass failed; it runs again on the next tick")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
