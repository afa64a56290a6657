using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Processing;

/// <summary>
/// Stops the handlers of requests a client cancelled, within a second or so: one query a tick for all
/// running requests of this instance.
/// </summary>
public sealed partial class CancellationWatcher(
    RunningRequests running,
    IDbContextFactory<RequestsDbContext> contexts,
    IOptions<ProcessorOptions> options,
    TimeProvider time,
    ILogger<CancellationWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var untraced = BackgroundTracing.Suppress();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.CancellationCheckMilliseconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var ids = running.Ids;
            if (ids.Count == 0)
            {
                continue;
            }

            try
            {
                await using var db = await contexts.CreateDbContextAsync(stoppingToken);
                var cancelled = await db.Requests
                    .Where(r => ids.Contains(r.Id) && r.CancelRequested)
                    .Select(r => r.Id)
                    .ToListAsync(stoppingToken);
                foreach (var id in cancelled)
                {
                    LogCancelling(logger, id);
                    await running.CancelAsync(id);
                }
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
            {
                // A missed tick only delays a cancellation: the next one asks again.
                LogCheckFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} was cancelled; stopping its handler")]
    private static partial void LogCancelling(ILogger logger, Guid requestId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not check for cancelled requests")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
