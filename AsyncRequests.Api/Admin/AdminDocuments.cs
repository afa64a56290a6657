namespace AsyncRequests.Api.Admin;

/// <summary>One row of <c>GET /admin/requests</c>.</summary>
public sealed record RequestSummary(
    Guid Id,
    string Type,
    RequestStatus Status,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    string? Error);

/// <summary>A page of requests, newest first; pass <see cref="NextCursor"/> back as <c>cursor</c> for the next one (null: no more).</summary>
public sealed record RequestPage(IReadOnlyList<RequestSummary> Items, string? NextCursor);

public sealed record StatusCounts(long Pending, long Processing, long Succeeded, long Failed, long Cancelled);

public sealed record TerminalCounts(long Succeeded, long Failed, long Cancelled);

/// <summary>SQS's approximate depths; null when the queue could not be asked.</summary>
public sealed record QueueDepths(long? ApproximateMessages, long? DeadLetterApproximateMessages);

/// <summary>The answer of <c>GET /admin/stats</c>.</summary>
public sealed record AdminStats(
    StatusCounts ByStatus,
    IReadOnlyDictionary<string, long> ByType,
    double? OldestPendingAgeSeconds,
    long OutboxBacklog,
    QueueDepths Queue,
    TerminalCounts CompletedLastMinute);
