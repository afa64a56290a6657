using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Requests;

/// <summary>
/// The Server-Sent Events of one request: its status document each time it changes, until it is
/// terminal. Each event's id is the document's version, so an EventSource that reconnects with
/// Last-Event-ID gets only what it has not seen. The stream waits on a <see cref="RequestWatch"/>, holding
/// no connection: it is sent what is read after each notified change. A database outage is waited out on
/// the open stream; anything else ends the stream cleanly, and the client reconnects after the
/// <c>retry</c> interval.
/// </summary>
public sealed partial class RequestEventStream(
    RequestWatchers watchers,
    IHostApplicationLifetime lifetime,
    IOptions<SubmissionOptions> options,
    ILogger<RequestEventStream> logger)
{
    /// <summary>Identifies what a client has seen: every change of a request moves its <c>UpdatedAt</c>.</summary>
    public static string VersionOf(RequestStatusDocument document) =>
        document.UpdatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture);

    /// <summary>The events after <paramref name="lastEventId"/>, starting from <paramref name="current"/>.</summary>
    public async IAsyncEnumerable<SseItem<RequestStatusDocument>> FollowAsync(
        RequestStatusDocument current, string? lastEventId, [EnumeratorCancellation] CancellationToken requestAborted)
    {
        // A stopping Api ends its streams, so their clients reconnect to an instance that stays.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
        using var watch = watchers.Watch(current.Id);
        var document = current;
        if (VersionOf(document) != lastEventId)
        {
            yield return Event(document);
        }

        while (!document.Status.IsTerminal() && await NextChangeAsync(watch, document, ending.Token) is { } next)
        {
            document = next;
            yield return Event(document);
        }
    }

    // Reads of the store, the source of truth, arrive in order, so each change is sent once and in order.
    private async Task<RequestStatusDocument?> NextChangeAsync(RequestWatch watch, RequestStatusDocument document, CancellationToken ending)
    {
        try
        {
            while (true)
            {
                // A request deleted meanwhile (null) ends the stream too; the reconnect then finds it gone.
                var next = await watch.NextReadAsync(ending);
                if (next is null || VersionOf(next) != VersionOf(document) || next.Status != document.Status)
                {
                    return next;
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

    private SseItem<RequestStatusDocument> Event(RequestStatusDocument document) => new(document, RequestEvents.StatusEventType)
    {
        EventId = VersionOf(document),
        ReconnectionInterval = TimeSpan.FromSeconds(options.Value.RetryAfterSeconds),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "The event stream of request {RequestId} failed; it ends so the client reconnects")]
    private static partial void LogStreamEnded(ILogger logger, Guid requestId, Exception exception);
}
