using System.Diagnostics;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Retention;

/// <summary>
/// Deletes terminal requests (their history and webhook deliveries go with them, by the foreign keys'
/// cascade) once they are older than their status's retention age and no webhook of theirs is pending, in batches with a pause in between. Every batch locks its
/// rows with SKIP LOCKED, so several Api instances purge side by side without waiting on each other,
/// and a request being retried at that moment is either retried or purged, never both.
/// </summary>
public sealed partial class RetentionPurge(
    IDbContextFactory<RequestsDbContext> contexts,
    TimeProvider time,
    IOptions<RetentionOptions> options,
    RequestStoreReadiness readiness,
    ILogger<RetentionPurge> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ages = RetentionAges(options.Value);
        if (ages.Count == 0)
        {
            LogRetentionOff(logger);
            return;
        }

        await readiness.WaitAsync(stoppingToken);
        using var untraced = BackgroundTracing.Suppress();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.IntervalSeconds), time);
        do
        {
            try
            {
                await PurgeAsync(ages, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogPurgeFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PurgeAsync(IReadOnlyDictionary<RequestStatus, TimeSpan> ages, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var purged = new Dictionary<RequestStatus, long>();
        foreach (var (status, age) in ages)
        {
            purged[status] = await PurgeAsync(status, now - age, cancellationToken);
        }

        LogPurged(
            logger,
            purged.GetValueOrDefault(RequestStatus.Succeeded),
            purged.GetValueOrDefault(RequestStatus.Failed),
            purged.GetValueOrDefault(RequestStatus.Cancelled),
            time.GetElapsedTime(started).TotalMilliseconds);
    }

    private async Task<long> PurgeAsync(RequestStatus status, DateTimeOffset completedBefore, CancellationToken cancellationToken)
    {
        var batchSize = options.Value.BatchSize;
        var statusName = status.ToWireName();
        var tags = new TagList { { RequestTelemetry.Tags.Status, statusName } };
        long total = 0;
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);

            // A request completes after it is created, so the created_at bound is implied; it lets the
            // (status, created_at, id) index find the candidates without reading every row of the status.
            // A request whose webhook is still being delivered stays: its delivery would go with it.
            var deleted = await db.Database.ExecuteSqlAsync(
                $"""
                DELETE FROM requests WHERE id IN (
                    SELECT id FROM requests r
                    WHERE status = {statusName} AND created_at < {completedBefore} AND completed_at < {completedBefore}
                      AND NOT EXISTS (SELECT FROM webhook_deliveries d WHERE d.request_id = r.id AND d.state = 'pending')
                    LIMIT {batchSize}
                    FOR UPDATE SKIP LOCKED)
                """,
                cancellationToken);
            if (deleted > 0)
            {
                total += deleted;
                RequestTelemetry.Purged.Add(deleted, tags);
            }

            if (deleted < batchSize)
            {
                return total;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(options.Value.BatchPauseMilliseconds), time, cancellationToken);
        }
    }

    private static Dictionary<RequestStatus, TimeSpan> RetentionAges(RetentionOptions retention) =>
        new Dictionary<RequestStatus, int>
        {
            [RequestStatus.Succeeded] = retention.SucceededAfterDays,
            [RequestStatus.Failed] = retention.FailedAfterDays,
            [RequestStatus.Cancelled] = retention.CancelledAfterDays,
        }
        .Where(age => age.Value > 0)
        .ToDictionary(age => age.Key, age => TimeSpan.FromDays(age.Value));

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Retention pass purged {Succeeded} succeeded, {Failed} failed and {Cancelled} cancelled requests in {ElapsedMilliseconds:0} ms")]
    private static partial void LogPurged(ILogger logger, long succeeded, long failed, long cancelled, double elapsedMilliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention is off: every Retention:*AfterDays setting is 0")]
    private static partial void LogRetentionOff(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The retention pass failed; it runs again on the next tick")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
