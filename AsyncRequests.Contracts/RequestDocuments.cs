using System.Text.Json;
using System.Text.Json.Serialization;

namespace AsyncRequests.Contracts;

/// <summary>The body of <c>POST /requests</c>; with a <see cref="CallbackUrl"/>, the terminal status document is POSTed there.</summary>
public sealed record SubmitRequestBody(string? Type, JsonElement? Input, string? CallbackUrl);

public sealed record RequestLinks(string Self, string Events, string Cancel);

/// <summary>The answer to a submit: enough to find the request again.</summary>
public sealed record SubmissionAccepted(Guid Id, string Type, RequestStatus Status, DateTimeOffset CreatedAt, RequestLinks Links);

public sealed record ProgressDocument(int Percent, string? Stage);

public sealed record HistoryEntry(RequestStatus Status, DateTimeOffset At, int Attempt, string? Detail);

/// <summary>
/// The webhook of a request with a callback URL (which is never shown: it often carries a token).
/// <c>pending</c> until delivered or given up, also while the request is not terminal yet.
/// </summary>
public sealed record WebhookDocument(
    WebhookState State,
    int Attempts,
    DateTimeOffset? LastAttemptAt,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset? NextAttemptAt)
{
    public static WebhookDocument NotYetDue { get; } = new(WebhookState.Pending, 0, null, null, null, null);
}

/// <summary>
/// The status document of <c>GET /requests/{id}</c>. <see cref="CancelRequested"/> is set once a client
/// asked to cancel. Cancelling running work is best effort, so with the status it tells whether the cancel
/// took effect (<c>cancelled</c>) or the work finished first (<c>succeeded</c>, <c>failed</c>).
/// </summary>
public sealed record RequestStatusDocument(
    Guid Id,
    string Type,
    RequestStatus Status,
    bool CancelRequested,
    ProgressDocument Progress,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    IReadOnlyList<HistoryEntry> History,
    string? TraceId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WebhookDocument? Webhook,
    RequestLinks Links);
