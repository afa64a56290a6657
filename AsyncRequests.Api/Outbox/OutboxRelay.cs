using AsyncRequests.Requests;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Outbox;

/// <summary>
/// Sends the messages of requests that were committed but never sent (the queue was unreachable,
/// or the process died between commit and send). Row locks with SKIP LOCKED let several Api
/// instances relay side by side without sending the same rows at once.
/// </summary>
public sealed partial class OutboxRelay(
    IServiceScopeFactory scopes,
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
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RequestsDbContext>();
        var publisher = scope.ServiceProvider.GetRequiredService<RequestPublisher>();
        var olderThan = time.GetUtcNow().AddSeconds(-options.Value.MinimumAgeSeconds);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var unsent = await db.Requests
            .FromSql($"""
                SELECT * FROM requests
                WHERE published_at IS NULL AND created_at < {olderThan}
                ORDER BY created_at
                LIMIT {options.Value.BatchSize}
                FOR UPDATE SKIP LOCKED
                """)
            .AsNoTracking()
            .ToListAsync(cancellationToken);

        var sent = 0;
        foreach (var request in unsent)
        {
            // One failure most likely means the queue is still down: try again next pass.
            if (!await publisher.TryPublishAsync(request, cancellationToken))
            {
                break;
            }

            sent++;
        }

        await transaction.CommitAsync(cancellationToken);
        RequestTelemetry.OutboxBacklog.Record(await db.Requests.LongCountAsync(r => r.PublishedAt == null, cancellationToken));
        if (sent > 0)
        {
            LogRelayed(logger, sent);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Relayed {Count} unsent request messages")]
    private static partial void LogRelayed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox relay pass failed; it runs again on the next tick")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
