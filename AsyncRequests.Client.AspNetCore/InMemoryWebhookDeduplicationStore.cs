using Microsoft.Extensions.Options;

namespace AsyncRequests.Client.AspNetCore;

/// <summary>
/// The default <see cref="IWebhookDeduplicationStore"/>: this process's memory, so it is per instance and
/// forgotten on restart. Handled ids expire after <see cref="WebhookReceiverOptions.DeduplicationWindowMinutes"/>;
/// past <see cref="WebhookReceiverOptions.MaxRememberedIds"/> the oldest is forgotten first.
/// </summary>
public sealed class InMemoryWebhookDeduplicationStore(IOptions<WebhookReceiverOptions> options, TimeProvider time) : IWebhookDeduplicationStore
{
    private readonly TimeSpan window = TimeSpan.FromMinutes(options.Value.DeduplicationWindowMinutes);
    private readonly int capacity = options.Value.MaxRememberedIds;
    private readonly Lock gate = new();
    private readonly HashSet<string> handled = new(StringComparer.Ordinal);

    // Every id shares one window, so completion order is expiry order: the front is always the next to go.
    private readonly Queue<(string Id, DateTimeOffset ExpiresAt)> expiries = new();
    private readonly HashSet<string> inProgress = new(StringComparer.Ordinal);

    /// <summary>The handled ids remembered now.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return handled.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<WebhookClaim> TryClaimAsync(string webhookId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Forget(time.GetUtcNow(), capacity);
            var claim = handled.Contains(webhookId) ? WebhookClaim.AlreadyHandled
                : inProgress.Add(webhookId) ? WebhookClaim.Claimed
                : WebhookClaim.InProgress;
            return ValueTask.FromResult(claim);
        }
    }

    /// <inheritdoc />
    public ValueTask CompleteAsync(string webhookId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            Forget(now, capacity - 1);
            inProgress.Remove(webhookId);
            handled.Add(webhookId);
            expiries.Enqueue((webhookId, now + window));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(string webhookId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            inProgress.Remove(webhookId);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Drops expired ids, then the oldest until at most <paramref name="keep"/> remain.</summary>
    private void Forget(DateTimeOffset now, int keep)
    {
        while (expiries.TryPeek(out var oldest) && (oldest.ExpiresAt <= now || handled.Count > keep))
        {
            expiries.Dequeue();
            handled.Remove(oldest.Id);
        }
    }
}
