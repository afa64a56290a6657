using System.Diagnostics;
using AsyncRequests.Api.Outbox;
using AsyncRequests.Requests;
using AsyncRequests.Requests.RequestTypes;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AsyncRequests.Api.Requests;

/// <summary>Stores a validated request with its outbox mark, then sends its message.</summary>
public sealed class RequestSubmitter(RequestsDbContext db, RequestPublisher publisher, TimeProvider time)
{
    public async Task<SubmissionOutcome> SubmitAsync(string type, RequestInput input, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var normalizedInput = RequestTypeCatalog.Serialize(input);
        var hash = idempotencyKey is null ? null : RequestTypeCatalog.Hash(type, normalizedInput);
        if (idempotencyKey is not null && await FindByKeyAsync(idempotencyKey, hash, cancellationToken) is { } earlier)
        {
            return earlier;
        }

        // PostgreSQL keeps microseconds; trimming here makes a replayed answer identical to the first.
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % 10));
        var request = new AsyncRequest
        {
            Id = Guid.CreateVersion7(now),
            Type = type,
            Input = normalizedInput,
            Status = RequestStatus.Pending,
            CreatedAt = now,
            UpdatedAt = now,
            TraceParent = Activity.Current?.Id,
            TraceState = Activity.Current?.TraceStateString,
            IdempotencyKey = idempotencyKey,
            RequestHash = hash,
            History = [new StatusChange { Status = RequestStatus.Pending, At = now, Detail = "submitted" }],
        };
        db.Requests.Add(request);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (idempotencyKey is not null && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // A concurrent submit with the same key won the insert; answer as it did.
            db.ChangeTracker.Clear();
            return await FindByKeyAsync(idempotencyKey, hash, cancellationToken)
                ?? throw new InvalidOperationException("The conflicting idempotent request vanished.", e);
        }

        RequestTelemetry.Submitted.Add(1, new KeyValuePair<string, object?>(RequestTelemetry.Tags.RequestType, type));
        await publisher.TryPublishAsync(request, cancellationToken);
        return new SubmissionOutcome.Accepted(request);
    }

    private async Task<SubmissionOutcome?> FindByKeyAsync(string idempotencyKey, string? hash, CancellationToken cancellationToken)
    {
        var earlier = await db.Requests.AsNoTracking().SingleOrDefaultAsync(r => r.IdempotencyKey == idempotencyKey, cancellationToken);
        return earlier switch
        {
            null => null,
            _ when earlier.RequestHash == hash => new SubmissionOutcome.Replayed(earlier),
            _ => new SubmissionOutcome.KeyReused(),
        };
    }
}

public abstract record SubmissionOutcome
{
    private SubmissionOutcome()
    {
    }

    public sealed record Accepted(AsyncRequest Request) : SubmissionOutcome;

    public sealed record Replayed(AsyncRequest Request) : SubmissionOutcome;

    /// <summary>The idempotency key was used before for a different type or input.</summary>
    public sealed record KeyReused : SubmissionOutcome;
}
