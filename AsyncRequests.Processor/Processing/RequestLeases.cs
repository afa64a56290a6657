using System.Linq.Expressions;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor.Processing;

/// <summary>
/// Every status change a worker makes, each a guarded update: a worker acts on a request only while
/// it holds the lease it was given at claim time, so a worker that lost its lease (it stalled and
/// another took over) can no longer change the request. Each change is recorded in the history.
/// </summary>
public sealed class RequestLeases(
    IDbContextFactory<RequestsDbContext> contexts,
    TimeProvider time,
    IOptions<QueueOptions> queueOptions,
    IOptions<ProcessorOptions> processorOptions)
{
    /// <summary>A lease lasts as long as the message stays invisible, so both lapse together when a worker dies.</summary>
    public TimeSpan LeaseDuration => TimeSpan.FromSeconds(queueOptions.Value.VisibilityTimeoutSeconds);

    public async Task<ClaimResult> ClaimAsync(Guid requestId, Guid owner, CancellationToken cancellationToken)
    {
        var maxAttempts = processorOptions.Value.MaxAttempts;
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        var claimed = await db.Requests
            .Where(r => r.Id == requestId
                        && r.Attempts < maxAttempts
                        && (r.Status == RequestStatus.Pending || (r.Status == RequestStatus.Processing && r.LeaseExpiresAt < now)))
            .ExecuteUpdateAsync(
                s => s.SetProperty(r => r.Status, RequestStatus.Processing)
                    .SetProperty(r => r.Attempts, r => r.Attempts + 1)
                    .SetProperty(r => r.LeaseOwner, owner)
                    .SetProperty(r => r.LeaseExpiresAt, now + LeaseDuration)
                    .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now)
                    .SetProperty(r => r.ProgressPercent, 0)
                    .SetProperty(r => r.ProgressStage, (string?)null)
                    .SetProperty(r => r.UpdatedAt, now),
                cancellationToken);

        var request = await db.Requests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, cancellationToken);
        if (claimed == 1 && request is not null)
        {
            db.StatusChanges.Add(new StatusChange { RequestId = requestId, Status = RequestStatus.Processing, At = now, Attempt = request.Attempts });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new ClaimResult.Claimed(request);
        }

        return request switch
        {
            null => new ClaimResult.NotFound(),
            { Status: var status } when status.IsTerminal() => new ClaimResult.AlreadyFinished(status),
            { Status: RequestStatus.Processing, LeaseExpiresAt: { } until } when until >= now => new ClaimResult.HeldElsewhere(until - now),
            _ => new ClaimResult.AttemptsExhausted(request),
        };
    }

    public async Task<AsyncRequest?> FindAsync(Guid requestId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Requests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, cancellationToken);
    }

    /// <summary>Keeps the lease while the handler runs; false once it is no longer ours.</summary>
    public async Task<bool> RenewAsync(Guid requestId, Guid owner, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var renewed = await db.Requests.Where(r => r.Id == requestId).Where(HeldBy(owner))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseExpiresAt, now + LeaseDuration), cancellationToken);
        return renewed == 1;
    }

    public async Task ReportProgressAsync(Guid requestId, Guid owner, int percent, string stage, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Requests.Where(r => r.Id == requestId).Where(HeldBy(owner)).ExecuteUpdateAsync(
            s => s.SetProperty(r => r.ProgressPercent, percent).SetProperty(r => r.ProgressStage, stage).SetProperty(r => r.UpdatedAt, time.GetUtcNow()),
            cancellationToken);
    }

    public Task<bool> SucceedAsync(Guid requestId, Guid owner, int attempt, string result, CancellationToken cancellationToken) =>
        TransitionAsync(requestId, owner, RequestStatus.Succeeded, attempt, null, (s, now) => s
            .SetProperty(r => r.Result, result)
            .SetProperty(r => r.Error, (string?)null)
            .SetProperty(r => r.ProgressPercent, 100)
            .SetProperty(r => r.ProgressStage, "done")
            .SetProperty(r => r.CompletedAt, now), cancellationToken);

    public Task<bool> FailAsync(Guid requestId, Guid owner, int attempt, string error, CancellationToken cancellationToken) =>
        TransitionAsync(requestId, owner, RequestStatus.Failed, attempt, error, (s, now) => s
            .SetProperty(r => r.Error, error)
            .SetProperty(r => r.CompletedAt, now), cancellationToken);

    public Task<bool> CancelAsync(Guid requestId, Guid owner, int attempt, CancellationToken cancellationToken) =>
        TransitionAsync(requestId, owner, RequestStatus.Cancelled, attempt, "cancelled while processing", (s, now) => s
            .SetProperty(r => r.CompletedAt, now), cancellationToken);

    /// <summary>Back to pending after a transient error; the message comes back after <paramref name="delay"/>.</summary>
    public Task<bool> RetryLaterAsync(Guid requestId, Guid owner, int attempt, string error, TimeSpan delay, CancellationToken cancellationToken) =>
        TransitionAsync(requestId, owner, RequestStatus.Pending, attempt, $"retry in {delay.TotalSeconds:0.#}s after: {error}", (s, _) => s
            .SetProperty(r => r.Error, error), cancellationToken);

    /// <summary>
    /// Hands the request back untouched when this instance stops before its handler finished: the
    /// attempt is not counted, because nothing about the request made it fail.
    /// </summary>
    public Task<bool> ReleaseAsync(Guid requestId, Guid owner, int attempt, CancellationToken cancellationToken) =>
        TransitionAsync(requestId, owner, RequestStatus.Pending, attempt, "released by a stopping worker", (s, _) => s
            .SetProperty(r => r.Attempts, r => r.Attempts - 1), cancellationToken);

    /// <summary>Fails a request whose worker vanished during its last allowed attempt.</summary>
    public Task<bool> FailAbandonedAsync(Guid requestId, int attempt, string error, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return TransitionAsync(
            requestId,
            r => r.Status == RequestStatus.Pending || (r.Status == RequestStatus.Processing && r.LeaseExpiresAt < now),
            RequestStatus.Failed,
            attempt,
            error,
            (s, at) => s.SetProperty(r => r.Error, error).SetProperty(r => r.CompletedAt, at),
            cancellationToken);
    }

    private static Expression<Func<AsyncRequest, bool>> HeldBy(Guid owner) =>
        r => r.LeaseOwner == owner && r.Status == RequestStatus.Processing;

    private Task<bool> TransitionAsync(
        Guid requestId,
        Guid owner,
        RequestStatus to,
        int attempt,
        string? detail,
        Action<UpdateSettersBuilder<AsyncRequest>, DateTimeOffset> set,
        CancellationToken cancellationToken) =>
        TransitionAsync(requestId, HeldBy(owner), to, attempt, detail, set, cancellationToken);

    /// <summary>Moves the request to <paramref name="to"/> if <paramref name="guard"/> still holds, and records it in the history.</summary>
    private async Task<bool> TransitionAsync(
        Guid requestId,
        Expression<Func<AsyncRequest, bool>> guard,
        RequestStatus to,
        int attempt,
        string? detail,
        Action<UpdateSettersBuilder<AsyncRequest>, DateTimeOffset> set,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var updated = await db.Requests.Where(r => r.Id == requestId).Where(guard).ExecuteUpdateAsync(
            s =>
            {
                s.SetProperty(r => r.Status, to)
                    .SetProperty(r => r.LeaseOwner, (Guid?)null)
                    .SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null)
                    .SetProperty(r => r.UpdatedAt, now);
                set(s, now);
            },
            cancellationToken);
        if (updated == 0)
        {
            return false;
        }

        db.StatusChanges.Add(new StatusChange { RequestId = requestId, Status = to, At = now, Attempt = attempt, Detail = detail });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}

public abstract record ClaimResult
{
    private ClaimResult()
    {
    }

    /// <summary>This worker holds the request now and runs its handler.</summary>
    public sealed record Claimed(AsyncRequest Request) : ClaimResult;

    /// <summary>No such request: the message is not ours to act on.</summary>
    public sealed record NotFound : ClaimResult;

    /// <summary>A duplicate or late message: the request already reached <paramref name="Status"/>.</summary>
    public sealed record AlreadyFinished(RequestStatus Status) : ClaimResult;

    /// <summary>A live worker holds the request; look again when its lease would lapse.</summary>
    public sealed record HeldElsewhere(TimeSpan LeaseRemaining) : ClaimResult;

    /// <summary>The worker of the last allowed attempt vanished; the request is to be failed.</summary>
    public sealed record AttemptsExhausted(AsyncRequest Request) : ClaimResult;
}
