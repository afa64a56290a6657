namespace AsyncRequests.Contracts;

/// <summary>The headers of the request API.</summary>
public static class RequestHeaders
{
    /// <summary>On a submit: the same key with the same body answers the original request again.</summary>
    public const string IdempotencyKey = "Idempotency-Key";

    /// <summary>On a submit's answer: <c>true</c> when the key's earlier answer was replayed.</summary>
    public const string IdempotentReplayed = "Idempotent-Replayed";

    /// <summary>On <c>GET /requests/{id}/events</c>: the id of the last event seen, to resume after it.</summary>
    public const string LastEventId = "Last-Event-ID";
}

/// <summary>
/// The Server-Sent Events of <c>GET /requests/{id}/events</c>: each event is of type <see cref="StatusEventType"/>,
/// its data is a <see cref="RequestStatusDocument"/> and its id the document's version.
/// </summary>
public static class RequestEvents
{
    public const string StatusEventType = "status";
}

/// <summary>
/// The webhook of a request with a callback URL: a POST of its terminal <see cref="RequestStatusDocument"/>
/// (without its <c>webhook</c> member), signed per the Standard Webhooks specification with these headers.
/// </summary>
public static class WebhookHeaders
{
    public const string Id = "webhook-id";

    public const string Timestamp = "webhook-timestamp";

    public const string Signature = "webhook-signature";
}
