namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Keeps every message a poller holds hidden, a third of the visibility timeout at a time, after the
/// poller's own keep-alive (so a lease never outlives its message), and lets go of buffered messages
/// that waited a whole visibility timeout for a free slot.
/// </summary>
internal sealed partial class MessageHeartbeat(
    HeldMessages held,
    MessageVisibility visibility,
    Func<CancellationToken, Task> keepAlive,
    TimeSpan visibilityTimeout,
    TimeProvider time,
    ILogger logger)
{
    public TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(1, visibilityTimeout.TotalSeconds / 3));

    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await keepAlive(stop);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed beat is survivable: the visibility outlasts two more.
                    LogHeartbeatFailed(logger, e);
                }

                var stale = held.TakeStale(visibilityTimeout);
                held.Release(stale);
                await visibility.ChangeAsync(stale, TimeSpan.Zero);
                await visibility.ChangeAsync(held.ToKeepHidden(), visibilityTimeout);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat for the held messages failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception);
}
