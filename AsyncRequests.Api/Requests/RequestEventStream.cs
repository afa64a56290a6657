using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using AsyncRequests.Requests.Storage;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Requests;

/// <summary>
/// The Server-Sent Events of one request: its status document each time it changes, until it is
/// terminal. Each event's id is the document's version, so an EventSource that reconnects with
/// Last-Event-ID gets only what it has not seen. A database outage is waited out on the open stream;
/// anything else ends the stream cleanly, and the client reconnects after the <c>retry</c> interval.
/// </summary>
public sealed partial class RequestEventStream(
    RequestsDbContext db,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    IOptions<SubmissionOptions> options,
    ILogger<RequestEventStream> logger)
{
    public const string EventType = "status";

    private static readonly TimeSpan s_maxReadBackoff = TimeSpan.FromSeconds(5);

    /// <summary>Identifies what a client has seen: every change of a request moves its <c>UpdatedAt</c>.</summary>
    public static string VersionOf(RequestStatusDocument document) =>
        document.UpdatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture);

    /// <summary>The events after <paramref name="lastEventId"/>, starting from <paramref name="current"/>.</summary>
    public async IAsyncEnumerable<SseItem<RequestStatusDocument>> FollowAsync(
        RequestStatusDocument current, string? lastEventId, [EnumeratorCancellation] CancellationToken requestAborted)
    {
        // A stopping Api ends its streams, so their clients reconnect to an instance that stays.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
        var document = current;
        if (VersionOf(document) != lastEventId)
        {
            yield return Event(document);
        }

        while (!document.Status.IsTerminal() && await NextChangeAsync(document, ending.Token) is { } next)
        {
            document = next;
            yield return Event(document);
        }
    }

    // The stream reads the store, the source of truth, so a change is sent once and in order.
    private async Task<RequestStatusDocument?> NextChangeAsync(RequestStatusDocument document, CancellationToken ending)
    {
        var interval = TimeSpan.FromMilliseconds(options.Value.EventsPollMilliseconds);
        var delay = interval;
        var failedReads = 0;
        try
        {
            while (true)
            {
                await Task.Delay(delay, time, ending);
                try
                {
                    RequestStatusDocument? next;
                    using (BackgroundTracing.Suppress())
                    {
                        // Polling reads would bury the stream's trace under one span per interval.
                        next = await db.FindStatusDocumentAsync(document.Id, ending);
                    }

                    if (failedReads > 0)
                    {
                        LogReadsRecovered(logger, document.Id, failedReads);
                    }

                    // A request deleted meanwhile (null) ends the stream too; the reconnect then finds it gone.
                    if (next is null || VersionOf(next) != VersionOf(document) || next.Status != document.Status)
                    {
                        return next;
                    }

                    (delay, failedReads) = (interval, 0);
                }
                catch (Exception e) when (DatabaseErrors.IsUnavailable(e))
                {
                    if (failedReads++ == 0)
                    {
                        LogReadFailed(logger, document.Id, e);
                    }

                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxReadBackoff.Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e)
        {
            LogStreamEnded(logger, document.Id, e);
            return null;
        }
    }

    private SseItem<RequestStatusDocument> Event(RequestStatusDocument document) => new(document, EventType)
    {
        EventId = VersionOf(document),
        ReconnectionInterval = TimeSpan.FromSeconds(options.Value.RetryAfterSeconds),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "The event stream of request {RequestId} cannot read the request store; it keeps trying while the client waits")]
    private static partial void LogReadFailed(ILogger logger, Guid requestId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The event stream of request {RequestId} reads the request store again after {FailedReads} failed reads")]
    private static partial void LogReadsRecovered(ILogger logger, Guid requestId, int failedReads);

    [LoggerMessage(Level = LogLevel.Error, Message = "The event stream of request {RequestId} failed; it ends so the client reconnects")]
    private static partial void LogStreamEnded(ILogger logger, Guid requestId, Exception exception);
}
