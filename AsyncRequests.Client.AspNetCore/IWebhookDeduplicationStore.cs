namespace AsyncRequests.Client.AspNetCore;

/// <summary>What <see cref="IWebhookDeduplicationStore.TryClaimAsync"/> found for a <c>webhook-id</c>.</summary>
public enum WebhookClaim
{
    /// <summary>Not seen before (or forgotten): this caller handles it, then completes or releases it.</summary>
    Claimed,

    /// <summary>Handled already: answer 2xx without handling it again.</summary>
    AlreadyHandled,

    /// <summary>Another request is handling it right now: the sender should try again later.</summary>
    InProgress,
}

/// <summary>
/// Remembers which <c>webhook-id</c>s were handled, so a redelivery is handled once. Register your own
/// (a database table, a distributed cache) to share it between instances or keep it across restarts; the
/// default is <see cref="InMemoryWebhookDeduplicationStore"/>. An id is remembered as handled only once
/// <see cref="CompleteAsync"/> is called, after the handler succeeded.
/// </summary>
public interface IWebhookDeduplicationStore
{
    /// <summary>Claims <paramref name="webhookId"/> for handling, unless it was handled or is being handled.</summary>
    ValueTask<WebhookClaim> TryClaimAsync(string webhookId, CancellationToken cancellationToken);

    /// <summary>Records a claimed id as handled, for the deduplication window.</summary>
    ValueTask CompleteAsync(string webhookId, CancellationToken cancellationToken);

    /// <summary>Gives a claimed id up unhandled (the handler failed), so its redelivery is handled.</summary>
    ValueTask ReleaseAsync(string webhookId, CancellationToken cancellationToken);
}
