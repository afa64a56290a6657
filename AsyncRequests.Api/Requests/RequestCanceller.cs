using AsyncRequests.Requests;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Api.Requests;

/// <summary>
/// Cancels a request with guarded updates: a pending one at once (its message then finds it finished
/// and does nothing); a processing one by flagging it, so its worker stops the handler and ends it,
/// unless the handler finishes first: cancelling running work is best effort, and the flag stays visible.
/// </summary>
public sealed class RequestCanceller(RequestsDbContext db, TimeProvider time)
{
    /// <summary>Only a request of <paramref name="clientId"/> is cancelled (another's is not found); null: any request.</summary>
    public async Task<CancelOutcome> CancelAsync(Guid id, string? clientId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        // One statement for both cases, so a request moving between pending and processing cannot slip
        // between two checks; the row stays locked until commit.
        var updated = await db.Requests
            .Where(r => r.Id == id && (clientId == null || r.ClientId == clientId) && (r.Status == RequestStatus.Pending || r.Status == RequestStatus.Processing))
            .ExecuteUpdateAsync(
                s => s.SetProperty(r => r.Status, r => r.Status == RequestStatus.Pending ? RequestStatus.Cancelled : r.Status)
                    .SetProperty(r => r.CompletedAt, r => r.Status == RequestStatus.Pending ? now : r.CompletedAt)
                    .SetProperty(r => r.CancelRequested, true)
                    .SetProperty(r => r.UpdatedAt, now),
                cancellationToken);
        var request = await db.Requests.AsNoTracking()
            .Where(r => r.Id == id && (clientId == null || r.ClientId == clientId))
            .Select(r => new { r.Type, r.Status, r.Attempts })
            .SingleOrDefaultAsync(cancellationToken);

        switch (request)
        {
            case null:
                return CancelOutcome.NotFound;
            case { Status: RequestStatus.Cancelled } when updated == 1:
                db.StatusChanges.Add(new StatusChange { RequestId = id, Status = RequestStatus.Cancelled, At = now, Attempt = request.Attempts, Detail = "cancelled before processing" });
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                RequestTelemetry.RecordCompleted(request.Type, RequestStatus.Cancelled, request.Attempts);
                return CancelOutcome.Cancelled;
            case { Status: RequestStatus.Processing }:
                await transaction.CommitAsync(cancellationToken);
                return CancelOutcome.Requested;
            case { Status: RequestStatus.Cancelled }:
                return CancelOutcome.Cancelled;
            default:
                return CancelOutcome.AlreadyFinished;
        }
    }
}

public enum CancelOutcome
{
    /// <summary>The request is cancelled (now, or it already was: cancelling twice is harmless).</summary>
    Cancelled,

    /// <summary>A worker is running it and is asked to stop it; it ends cancelled, or as it was if it finished first.</summary>
    Requested,

    /// <summary>It succeeded or failed before the cancellation: nothing to cancel.</summary>
    AlreadyFinished,

    NotFound,
}
