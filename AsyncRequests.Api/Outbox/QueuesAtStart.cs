using AsyncRequests.Requests.Queue;

namespace AsyncRequests.Api.Outbox;

/// <summary>
/// Finds the queues (creating them with <c>Queue:AutoCreateQueues</c>) before the Api takes requests. A
/// 202 is answered once the request is stored, while its message is still being sent, so without this
/// the first submits of a fresh system would race the queue's creation. SQS being down does not stop
/// the start: the relay sends the stored requests once it is back.
/// </summary>
public sealed partial class QueuesAtStart(QueueTopology topology, ILogger<QueuesAtStart> logger) : IHostedService
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var untraced = BackgroundTracing.Suppress();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        try
        {
            await topology.GetUrlsAsync(timeout.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogQueuesUnavailable(logger, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The queues could not be found at start; stored requests are sent once SQS answers")]
    private static partial void LogQueuesUnavailable(ILogger logger, Exception exception);
}
