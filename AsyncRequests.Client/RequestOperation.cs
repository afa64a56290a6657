using System.Runtime.CompilerServices;
using AsyncRequests.Contracts;

namespace AsyncRequests.Client;

/// <summary>
/// One submitted request, followed from the client: its latest known status and, once it succeeded, its
/// typed result. Not thread-safe: follow an operation from one caller at a time.
/// </summary>
/// <typeparam name="TResult">The result record of the request's type.</typeparam>
public sealed class RequestOperation<TResult> where TResult : class
{
    private readonly AsyncRequestsClient _client;
    private string? _lastEventId;

    internal RequestOperation(AsyncRequestsClient client, Guid id)
    {
        _client = client;
        Id = id;
    }

    /// <summary>The request's id.</summary>
    public Guid Id { get; }

    /// <summary>The latest status document seen; null until the first update.</summary>
    public RequestStatusDocument? Document { get; private set; }

    /// <summary>The latest status seen (<c>pending</c> until the first update).</summary>
    public RequestStatus Status => Document?.Status ?? RequestStatus.Pending;

    /// <summary>The latest progress seen: a percentage and the handler's stage.</summary>
    public ProgressDocument Progress => Document?.Progress ?? new ProgressDocument(0, null);

    /// <summary>Whether the request is terminal: succeeded, failed or cancelled.</summary>
    public bool HasCompleted => Status.IsTerminal();

    /// <summary>The result of a succeeded request.</summary>
    /// <exception cref="RequestFailedException">The request failed.</exception>
    /// <exception cref="RequestCancelledException">The request was cancelled.</exception>
    /// <exception cref="InvalidOperationException">The request has not completed yet.</exception>
    public TResult Value => Document switch
    {
        { Status: RequestStatus.Succeeded, Result: { } result } => AsyncRequestsClient.ReadResult<TResult>(result),
        { Status: RequestStatus.Failed } failed => throw new RequestFailedException(failed),
        { Status: RequestStatus.Cancelled } cancelled => throw new RequestCancelledException(cancelled),
        _ => throw new InvalidOperationException($"Request {Id} has not completed yet; its status is {Status.ToWireName()}."),
    };

    /// <summary>Reads the status document once.</summary>
    /// <exception cref="RequestNotFoundException">There is no such request.</exception>
    public async Task<RequestStatusDocument> UpdateStatusAsync(CancellationToken cancellationToken = default)
    {
        var (document, _) = await _client.GetStatusAsync(Id, cancellationToken);
        Apply(document);
        return document;
    }

    /// <summary>
    /// Waits until the request is terminal and returns its result. It follows the event stream, resuming after the
    /// last event it saw when the connection drops or the Api restarts, and polls (honouring <c>Retry-After</c>)
    /// when the stream is refused. Cancelling <paramref name="cancellationToken"/> stops the wait, not the request:
    /// call <see cref="CancelAsync"/> for that.
    /// </summary>
    /// <exception cref="RequestFailedException">The request failed.</exception>
    /// <exception cref="RequestCancelledException">The request was cancelled.</exception>
    public async Task<TResult> WaitForCompletionAsync(CancellationToken cancellationToken = default)
    {
        await foreach (var _ in WatchAsync(cancellationToken))
        {
        }

        return Value;
    }

    /// <summary>
    /// The request's status documents as it changes, in order and each once, until it is terminal (the last one
    /// yielded). Follows the stream and falls back to polling as <see cref="WaitForCompletionAsync"/> does.
    /// </summary>
    public async IAsyncEnumerable<RequestStatusDocument> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var streaming = true;
        while (!HasCompleted)
        {
            var changes = new List<RequestStatusDocument>();
            var delay = await NextChangesAsync(streaming, changes, cancellationToken);
            foreach (var change in changes)
            {
                yield return change;
            }

            if (delay is null)
            {
                streaming = false;
                continue;
            }

            if (!HasCompleted && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay.Value, _client.Time, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Asks the Api to cancel the request: a pending one is cancelled at once, a processing one is asked to stop
    /// (best effort: it may still finish first). Returns the status document after the ask.
    /// </summary>
    /// <exception cref="RequestConflictException">The request had already finished.</exception>
    public async Task<RequestStatusDocument> CancelAsync(CancellationToken cancellationToken = default)
    {
        var document = await _client.CancelAsync(Id, cancellationToken);
        Apply(document);
        return document;
    }

    /// <summary>
    /// Collects the changes of one stream connection or one poll into <paramref name="changes"/> and returns how long
    /// to wait before the next; null when the stream was refused, so the caller polls from then on.
    /// </summary>
    private async Task<TimeSpan?> NextChangesAsync(bool streaming, List<RequestStatusDocument> changes, CancellationToken cancellationToken)
    {
        var retry = _client.DefaultRetryDelay;
        try
        {
            if (!streaming)
            {
                var (document, retryAfter) = await _client.GetStatusAsync(Id, cancellationToken);
                AddIfNew(document, changes);
                return retryAfter ?? retry;
            }

            await foreach (var (document, eventId, reconnect) in _client.FollowAsync(Id, _lastEventId, cancellationToken))
            {
                retry = reconnect > TimeSpan.Zero ? reconnect : retry;
                _lastEventId = eventId ?? _lastEventId;
                AddIfNew(document, changes);
            }

            // A stream that ended before the end (an Api shutting down) is resumed after its retry interval;
            // one that had nothing left to say (204) means the last event seen was terminal, so read it once.
            if (!HasCompleted && changes.Count == 0)
            {
                var (document, _) = await _client.GetStatusAsync(Id, cancellationToken);
                AddIfNew(document, changes);
            }

            return changes.Count > 0 ? TimeSpan.Zero : retry;
        }
        catch (EventStreamRefusedException)
        {
            return null;
        }
        catch (ServiceBusyException busy)
        {
            return busy.RetryAfter ?? retry;
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            // The Api is unreachable or the connection dropped mid-stream: try again with what was seen so far.
            return retry;
        }
    }

    private void AddIfNew(RequestStatusDocument document, List<RequestStatusDocument> changes)
    {
        // A poll and a stream may both bring a document already seen, or an older one.
        if (Document is not null && (document.UpdatedAt < Document.UpdatedAt || (document.UpdatedAt == Document.UpdatedAt && document.Status == Document.Status)))
        {
            return;
        }

        Apply(document);
        changes.Add(document);
    }

    private void Apply(RequestStatusDocument document) => Document = document;
}
