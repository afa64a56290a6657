using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Outbox;

/// <summary>
/// Finds requests whose message is gone (a purged queue, retention exceeded, a message deleted by
/// mistake): pending, yet untouched for <see cref="OutboxOptions.StrandedAfterSeconds"/>. It clears
/// their outbox mark, so the <see cref="OutboxRelay"/> sends a fresh message; if the old one was only
/// slow, the duplicate is harmless. Row locks with SKIP LOCKED let several Api instances run it.
/// </summary>
public sealed partial class StrandedRequestSweeper(
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    RequestStoreReadiness readiness,
    ILogger<StrandedRequestSweeper> logger) : BackgroundService
{
    private static readonly string s_pending = RequestStatus.Pending.ToWireName();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WaitAsync(stoppingToken);
        using var untraced = BackgroundTracing.Suppress();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.StrandedCheckIntervalSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var republished = await RepublishStrandedAsync(stoppingToken);
                if (republished > 0)
                {
                    LogRepublished(logger, republished, options.Value.StrandedAfterSeconds);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, e);
            }
        }
    }

    /// <summary>
    /// One statement: lock a batch of stranded requests, clear their mark (bumping updated_at, so each
    /// is sent again at most once per window), and record it in their history.
    /// </summary>
    private async Task<int> RepublishStrandedAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RequestsDbContext>();
        var now = time.GetUtcNow();
        var strandedBefore = now.AddSeconds(-options.Value.StrandedAfterSeconds);
        var detail = $"re-published: pending for over {options.Value.StrandedAfterSeconds}s with no worker; its message may be lost";
        var ids = await db.Database.SqlQuery<Guid>($"""
            WITH stranded AS (
                SELECT id FROM requests
                WHERE status = {s_pending} AND published_at IS NOT NULL AND updated_at < {strandedBefore}
                ORDER BY updated_at
                LIMIT {options.Value.BatchSize}
                FOR UPDATE SKIP LOCKED),
            republished AS (
                UPDATE requests SET published_at = NULL, updated_at = {now}
                FROM stranded WHERE requests.id = stranded.id
                RETURNING requests.id, requests.attempts)
            INSERT INTO status_changes (request_id, status, at, attempt, detail)
            SELECT id, {s_pending}, {now}, attempts, {detail} FROM republished
            RETURNING request_id AS "Value"
            """).ToListAsync(cancellationToken);
        return ids.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} pending requests had no worker for over {Seconds}s; their messages are sent again")]
    private static partial void LogRepublished(ILogger logger, int count, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stranded-request check failed; it runs again on the next tick")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
