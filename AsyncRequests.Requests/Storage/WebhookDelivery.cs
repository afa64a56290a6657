namespace AsyncRequests.Requests.Storage;

/// <summary>
/// One webhook of a request that reached a terminal status: the POST of its status document to the
/// request's callback URL, retried until delivered or given up. A trigger on <c>requests</c> writes it in
/// the transaction of the terminal transition, so no path that finishes a request can forget it.
/// </summary>
public sealed class WebhookDelivery
{
    /// <summary>The Standard Webhooks <c>webhook-id</c>: the same on every attempt, so receivers can deduplicate.</summary>
    public required string Id { get; init; }

    public Guid RequestId { get; init; }

    /// <summary>The terminal status the delivery announces.</summary>
    public RequestStatus RequestStatus { get; init; }

    public WebhookState State { get; set; }

    public int Attempts { get; set; }

    /// <summary>When the delivery is due (again); only pending deliveries are looked at.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>The lease of the dispatcher sending it now: nobody else claims it before then.</summary>
    public DateTimeOffset? LockedUntil { get; set; }

    /// <summary>The body, built at the first attempt and sent unchanged on every retry.</summary>
    public byte[]? Payload { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public int? LastStatusCode { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was delivered or given up.</summary>
    public DateTimeOffset? FinishedAt { get; set; }
}
