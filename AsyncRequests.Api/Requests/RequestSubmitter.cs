using System.Diagnostics;
using AsyncRequests.Api.Clients;
using AsyncRequests.Requests.RequestTypes;
using AsyncRequests.Requests.Storage;

namespace AsyncRequests.Api.Requests;

/// <summary>Turns a validated submission into a request row and has the writer store it with its outbox mark.</summary>
public sealed class RequestSubmitter(SubmissionWriter writer, Backlog backlog, PendingRequests pending, TimeProvider time)
{
    public async Task<SubmissionOutcome> SubmitAsync(
        string clientId,
        ClientLimits limits,
        string type, RequestInput input, string? callbackUrl, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (await pending.IsAtCapAsync(clientId, limits.MaxPendingRequests, cancellationToken))
        {
            return new SubmissionOutcome.AtPendingCap();
        }

        if (await backlog.IsSaturatedAsync(cancellationToken))
        {
            return new SubmissionOutcome.Saturated("More requests are waiting to be processed than the system takes on.");
        }

        var normalizedInput = RequestTypeCatalog.Serialize(input);

        // PostgreSQL keeps microseconds; trimming here makes a replayed answer identical to the first.
        var now = time.GetUtcNow();
        now = now.AddTicks(-(now.Ticks % 10));
        var request = new AsyncRequest
        {
            Id = Guid.CreateVersion7(now),
            ClientId = clientId,
            Type = type,
            Input = normalizedInput,
            Status = RequestStatus.Pending,
            CreatedAt = now,
            UpdatedAt = now,
            TraceParent = Activity.Current?.Id,
            TraceState = Activity.Current?.TraceStateString,
            IdempotencyKey = idempotencyKey,
            RequestHash = idempotencyKey is null ? null : RequestTypeCatalog.Hash(type, normalizedInput, callbackUrl),
            CallbackUrl = callbackUrl,
        };

        // Once queued the request may be stored whether or not this caller still waits for the answer.
        var stored = writer.TryEnqueue(request);
        return stored is null
            ? new SubmissionOutcome.Saturated("Too many submissions are waiting to be stored.")
            : await stored.WaitAsync(cancellationToken);
    }
}

public abstract record SubmissionOutcome
{
    private SubmissionOutcome()
    {
    }

    public sealed record Accepted(AsyncRequest Request) : SubmissionOutcome;

    public sealed record Replayed(AsyncRequest Request) : SubmissionOutcome;

    /// <summary>The idempotency key was used before for a different type, input or callback URL.</summary>
    public sealed record KeyReused : SubmissionOutcome;

    /// <summary>Turned away before anything was stored: the client has as many unfinished requests as it may.</summary>
    public sealed record AtPendingCap : SubmissionOutcome;

    /// <summary>Turned away before anything was stored: the system has more work than it takes on.</summary>
    public sealed record Saturated(string Reason) : SubmissionOutcome;
}
