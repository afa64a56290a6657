using AsyncRequests.Api.Outbox;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Api.Admin;

/// <summary>What operators do to requests: list them page by page, and retry the ones that ended badly.</summary>
public sealed partial class AdminRequests(RequestsDbContext db, RequestPublisher publisher, TimeProvider time, ILogger<AdminRequests> logger)
{
    /// <summary>
    /// Newest first, by keyset on (created_at, id): a page costs the same however deep it is, and rows
    /// arriving meanwhile neither shift nor repeat the pages after the cursor.
    /// </summary>
    public async Task<RequestPage> ListAsync(RequestListQuery query, CancellationToken cancellationToken)
    {
        var rows = db.Requests.AsNoTracking();
        if (query.Status is { } status)
        {
            rows = rows.Where(r => r.Status == status);
        }

        if (query.Client is { } client)
        {
            rows = rows.Where(r => r.ClientId == client);
        }

        if (query.Type is { } type)
        {
            rows = rows.Where(r => r.Type == type);
        }

        if (query.CreatedBefore is { } before)
        {
            rows = rows.Where(r => r.CreatedAt < before);
        }

        if (query.CreatedAfter is { } after)
        {
            rows = rows.Where(r => r.CreatedAt > after);
        }

        if (query.After is { } cursor)
        {
            rows = rows.Where(r => EF.Functions.LessThan(ValueTuple.Create(r.CreatedAt, r.Id), ValueTuple.Create(cursor.CreatedAt, cursor.Id)));
        }

        // One row more than asked tells whether there is a next page without counting.
        var items = await rows
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id)
            .Take(query.Limit + 1)
            .Select(r => new RequestSummary(r.Id, r.ClientId, r.Type, r.Status, r.Attempts, r.CreatedAt, r.CompletedAt, r.Error))
            .ToListAsync(cancellationToken);
        if (items.Count <= query.Limit)
        {
            return new RequestPage(items, null);
        }

        var last = items[query.Limit - 1];
        return new RequestPage(items[..query.Limit], new RequestListCursor(last.CreatedAt, last.Id).Encode());
    }

    /// <summary>
    /// Starts a new attempt cycle for a failed or cancelled request: back to pending with a fresh attempt
    /// budget and its outbox mark set, in one guarded update with its history entry, then sent like a new
    /// submit. If the send fails, the outbox relay sends it. The last error stays until the new cycle ends.
    /// </summary>
    public async Task<RetryOutcome> RetryAsync(Guid id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        RequestStatusDocument retriedDocument;
        OutboxMessage message;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var retried = await db.Requests
                .Where(r => r.Id == id && (r.Status == RequestStatus.Failed || r.Status == RequestStatus.Cancelled))
                .ExecuteUpdateAsync(
                    s => s.SetProperty(r => r.Status, RequestStatus.Pending)
                        .SetProperty(r => r.Attempts, 0)
                        .SetProperty(r => r.CancelRequested, false)
                        .SetProperty(r => r.ProgressPercent, 0)
                        .SetProperty(r => r.ProgressStage, (string?)null)
                        .SetProperty(r => r.StartedAt, (DateTimeOffset?)null)
                        .SetProperty(r => r.CompletedAt, (DateTimeOffset?)null)
                        .SetProperty(r => r.LeaseOwner, (Guid?)null)
                        .SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null)
                        .SetProperty(r => r.PublishedAt, (DateTimeOffset?)null)
                        .SetProperty(r => r.UpdatedAt, now),
                    cancellationToken);
            if (retried == 0)
            {
                var status = await db.Requests.Where(r => r.Id == id).Select(r => (RequestStatus?)r.Status).SingleOrDefaultAsync(cancellationToken);
                return status is { } current ? new RetryOutcome.NotRetryable(current) : new RetryOutcome.NotFound();
            }

            db.StatusChanges.Add(new StatusChange { RequestId = id, Status = RequestStatus.Pending, At = now, Attempt = 0, Detail = "retried" });
            await db.SaveChangesAsync(cancellationToken);

            // Read before the commit: once the message is out, a fast worker may already have moved the request on.
            retriedDocument = (await db.FindStatusDocumentsAsync([id], cancellationToken)).Single();
            message = await db.Requests.AsNoTracking()
                .Where(r => r.Id == id)
                .Select(r => new OutboxMessage(r.Id, r.Type, r.ClientId, r.TraceParent, r.TraceState))
                .SingleAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        LogRetried(logger, id, message.Type);
        await publisher.PublishAsync([message], cancellationToken);
        return new RetryOutcome.Retried(retriedDocument);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Request {RequestId} ({RequestType}) retried by an operator")]
    private static partial void LogRetried(ILogger logger, Guid requestId, string requestType);
}

public abstract record RetryOutcome
{
    private RetryOutcome()
    {
    }

    /// <summary>Back to pending, as <paramref name="Document"/> shows, and its message sent or left to the outbox relay.</summary>
    public sealed record Retried(RequestStatusDocument Document) : RetryOutcome;

    /// <summary>Only failed and cancelled requests are retried; this one is <paramref name="Status"/>.</summary>
    public sealed record NotRetryable(RequestStatus Status) : RetryOutcome;

    public sealed record NotFound : RetryOutcome;
}
