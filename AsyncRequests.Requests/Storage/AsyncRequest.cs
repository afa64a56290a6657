namespace AsyncRequests.Requests.Storage;

/// <summary>
/// One submitted request: the source of truth for its input, state and outcome.
/// Queue messages only point at it, so every change goes through a guarded update here.
/// </summary>
public sealed class AsyncRequest
{
    public Guid Id { get; init; }

    /// <summary>The client that submitted it: the only one that may see, follow or cancel it.</summary>
    public string ClientId { get; init; } = ApiClient.AnonymousId;

    public required string Type { get; init; }

    /// <summary>The validated input, as JSON (jsonb).</summary>
    public required string Input { get; init; }

    public RequestStatus Status { get; set; }

    public int ProgressPercent { get; set; }

    public string? ProgressStage { get; set; }

    /// <summary>How many times a worker has claimed the request.</summary>
    public int Attempts { get; set; }

    /// <summary>The handler's result, as JSON (jsonb), once succeeded.</summary>
    public string? Result { get; set; }

    /// <summary>Why the request failed, or the last transient error while it is retried.</summary>
    public string? Error { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>
    /// The outbox mark: null while the queue message is still to be sent. It is written in the
    /// same transaction as the row, so a crash before the send leaves the relay something to do.
    /// </summary>
    public DateTimeOffset? PublishedAt { get; set; }

    /// <summary>W3C trace context of the submitting request, so every send joins the original trace.</summary>
    public string? TraceParent { get; init; }

    public string? TraceState { get; init; }

    public string? IdempotencyKey { get; init; }

    /// <summary>Hash of the normalized type and input, to tell a replay from a conflicting reuse of a key.</summary>
    public string? RequestHash { get; init; }

    /// <summary>Identifies the worker attempt that holds the request while it is processing.</summary>
    public Guid? LeaseOwner { get; set; }

    /// <summary>When the holder's claim lapses unless its heartbeat renews it; a lapsed claim can be taken over.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>Where the status document is POSTed once the request is terminal; null: no webhook.</summary>
    public string? CallbackUrl { get; init; }

    public List<StatusChange> History { get; init; } = [];
}
