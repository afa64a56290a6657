using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Processor.Processing;

/// <summary>
/// Stops the handlers of requests a client cancelled, within a second or so: one query a tick for all
/// running requests of this instance. A failed check only delays cancellations, so the watcher never
/// gives up: it logs, backs off and asks again (see <see cref="FailureBackoff"/>).
/// </summary>
public sealed partial class CancellationWatcher(
    RunningRequests running,
    NpgsqlDataSource database,
    IOptions<ProcessorOptions> options,
    TimeProvider time,
    ILogger<CancellationWatcher> logger) : BackgroundService
{
    private const string CancelledSql = "SELECT id FROM requests WHERE id = ANY($1) AND cancel_requested";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var untraced = BackgroundTracing.Suppress();
        var interval = TimeSpan.FromMilliseconds(options.Value.CancellationCheckMilliseconds);
        var failures = 0;
        while (true)
        {
            await Task.Delay(FailureBackoff.After(failures, interval), time, stoppingToken);
            try
            {
                await CancelRequestedAsync(stoppingToken);
                if (failures > 0)
                {
                    LogRecovered(logger, failures);
                }

                failures = 0;
            }
            catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
            {
                // An outage the database gate reports; a missed tick only delays a cancellation.
                failures++;
                LogCheckFailed(logger, e);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                LogCheckBroken(logger, failures, FailureBackoff.After(failures, interval).TotalSeconds, e);
            }
        }
    }

    private async Task CancelRequestedAsync(CancellationToken stoppingToken)
    {
        var ids = running.Ids;
        if (ids.Count == 0)
        {
            return;
        }

        var cancelled = new List<Guid>();
        await using (var command = database.CreateCommand(CancelledSql))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(stoppingToken);
            while (await reader.ReadAsync(stoppingToken))
            {
                cancelled.Add(reader.GetGuid(0));
            }
        }

        foreach (var id in cancelled)
        {
            LogCancelling(logger, id);
            await running.CancelAsync(id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} was cancelled; stopping its handler")]
    private static partial void LogCancelling(ILogger logger, Guid requestId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not check for cancelled requests")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checking for cancelled requests failed {Failures} time(s) in a row; cancellations wait until it works again, next check in {DelaySeconds}s")]
    private static partial void LogCheckBroken(ILogger logger, int failures, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checking for cancelled requests works again after {Failures} failure(s)")]
    private static partial void LogRecovered(ILogger logger, int failures);
}
