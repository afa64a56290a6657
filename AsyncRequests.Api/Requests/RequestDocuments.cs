using System.Text.Json;
using System.Text.Json.Serialization;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Api.Requests;

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
    string ClientId,
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

public static class RequestDocumentMapping
{
    public static RequestLinks LinksFor(Guid id) =>
        new($"/requests/{id}", $"/requests/{id}/events", $"/requests/{id}/cancel");

    public static async Task<RequestStatusDocument?> FindStatusDocumentAsync(this RequestsDbContext db, Guid id, CancellationToken cancellationToken) =>
        (await db.FindStatusDocumentsAsync([id], cancellationToken)).SingleOrDefault();

    /// <summary>The documents of those <paramref name="ids"/> that exist: each request, its history and its latest webhook delivery, in one query.</summary>
    public static async Task<List<RequestStatusDocument>> FindStatusDocumentsAsync(this RequestsDbContext db, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var found = await db.Requests.AsNoTracking()
            .Where(r => ids.Contains(r.Id))
            .Select(r => new
            {
                Request = r,
                History = r.History.ToList(),
                Webhook = db.WebhookDeliveries
                    .Where(d => d.RequestId == r.Id)
                    .OrderByDescending(d => d.CreatedAt)
                    .Select(d => new WebhookDocument(
                        d.State,
                        d.Attempts,
                        d.LastAttemptAt,
                        d.LastStatusCode,
                        d.LastError,
                        d.State == WebhookState.Pending ? d.NextAttemptAt : null))
                    .FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);

        return [.. found.Select(f =>
        {
            f.Request.History.AddRange(f.History);
            return f.Request.ToStatusDocument(f.Request.CallbackUrl is null ? null : WebhookOf(f.Request.Status, f.Webhook));
        })];
    }

    // A retried request's earlier delivery was superseded; until its new outcome the webhook waits again.
    private static WebhookDocument WebhookOf(RequestStatus status, WebhookDocument? latest) =>
        status.IsTerminal() && latest is not null ? latest : WebhookDocument.NotYetDue;

    public static SubmissionAccepted ToSubmissionAccepted(this AsyncRequest request) =>
        new(request.Id, request.Type, RequestStatus.Pending, request.CreatedAt, LinksFor(request.Id));

    public static RequestStatusDocument ToStatusDocument(this AsyncRequest request, WebhookDocument? webhook) => new(
        request.Id,
        request.ClientId,
        request.Type,
        request.Status,
        request.CancelRequested,
        new ProgressDocument(request.ProgressPercent, request.ProgressStage),
        request.Attempts,
        request.CreatedAt,
        request.UpdatedAt,
        request.StartedAt,
        request.CompletedAt,
        request.Result is null ? null : JsonElement.Parse(request.Result),
        request.Error,
        [.. request.History.OrderBy(h => h.Id).Select(h => new HistoryEntry(h.Status, h.At, h.Attempt, h.Detail))],
        TraceIdOf(request.TraceParent),
        webhook,
        LinksFor(request.Id));

    // traceparent is "00-<trace id>-<span id>-<flags>"; the trace id is what the dashboard searches by.
    private static string? TraceIdOf(string? traceParent) =>
        traceParent is { Length: 55 } ? traceParent[3..35] : null;
}
