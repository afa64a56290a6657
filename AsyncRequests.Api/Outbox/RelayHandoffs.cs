using AsyncRequests.Requests;

namespace AsyncRequests.Api.Outbox;

/// <summary>
/// Counts the messages the direct sender left to the outbox relay: the <c>asyncrequests.outbox.handed_to_relay</c>
/// metric as they happen, and one Warning per relay interval with the totals, so that a burst of failed sends
/// reads as one line instead of one per call.
/// </summary>
public sealed partial class RelayHandoffs(ILogger<RelayHandoffs> logger)
{
    private long _timedOut;
    private long _refused;
    private long _failed;
    private long _queueFull;

    public void Record(SendOutcome outcome)
    {
        Add(ref _timedOut, outcome.TimedOut, "timeout");
        Add(ref _refused, outcome.Refused, "refused");
        Add(ref _failed, outcome.Failed, "error");
    }

    /// <summary>Stored requests the sender never tried: its queue was full, so far behind was it.</summary>
    public void RecordQueueFull(int count) => Add(ref _queueFull, count, "queue_full");

    /// <summary>Logs what was handed over since the last report, if anything; the relay calls this once per interval.</summary>
    public void Report()
    {
        var timedOut = Interlocked.Exchange(ref _timedOut, 0);
        var refused = Interlocked.Exchange(ref _refused, 0);
        var failed = Interlocked.Exchange(ref _failed, 0);
        var queueFull = Interlocked.Exchange(ref _queueFull, 0);
        if (timedOut + refused + failed + queueFull > 0)
        {
            LogHandedToRelay(logger, timedOut + refused + failed + queueFull, timedOut, refused, failed, queueFull);
        }
    }

    private static void Add(ref long total, int count, string reason)
    {
        if (count > 0)
        {
            Interlocked.Add(ref total, count);
            RequestTelemetry.HandedToRelay.Add(count, new KeyValuePair<string, object?>(RequestTelemetry.Tags.HandoffReason, reason));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Count} request messages were not sent at submit ({TimedOut} timed out, {Refused} refused by SQS, {Failed} failed, {QueueFull} beyond the send queue); the outbox relay sends them")]
    private static partial void LogHandedToRelay(ILogger logger, long count, long timedOut, long refused, long failed, long queueFull);
}
