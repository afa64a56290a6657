using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Processor.Polling;

/// <summary>
/// Gives a dead-lettered request a fresh message: it goes back to pending with its outbox mark
/// cleared, and the Api's outbox relay sends a new message whose receive count starts at zero.
/// </summary>
public sealed class DeadLetterRequeue(IDbContextFactory<RequestsDbContext> contexts, TimeProvider time)
{
    /// <summary>
    /// Re-queues the request if it is still as it was read: not terminal, not held by a live worker,
    /// and on <paramref name="attempts"/>. False when it changed meanwhile.
    /// </summary>
    public async Task<bool> RequeueAsync(Guid requestId, int attempts, string detail, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var updated = await db.Requests
            .Where(r => r.Id == requestId
                        && r.Attempts == attempts
                        && (r.Status == RequestStatus.Pending || (r.Status == RequestStatus.Processing && r.LeaseExpiresAt < now)))
            .ExecuteUpdateAsync(
                s => s.SetProperty(r => r.Status, RequestStatus.Pending)
                    .SetProperty(r => r.LeaseOwner, (Guid?)null)
                    .SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null)
                    .SetProperty(r => r.PublishedAt, (DateTimeOffset?)null)
                    .SetProperty(r => r.UpdatedAt, now),
                cancellationToken);
        if (updated == 0)
        {
            return false;
        }

        db.StatusChanges.Add(new StatusChange { RequestId = requestId, Status = RequestStatus.Pending, At = now, Attempt = attempts, Detail = detail });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
