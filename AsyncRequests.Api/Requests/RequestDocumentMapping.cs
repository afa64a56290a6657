using System.Text.Json;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Api.Requests;

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
