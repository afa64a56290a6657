using System.Text.Json;
using System.Text.Json.Serialization;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Api.Requests;

/// <summary>The body of <c>POST /requests</c>.</summary>
public sealed record SubmitRequestBody(string? Type, JsonElement? Input);

public sealed record RequestLinks(string Self, string Events, string Cancel);

/// <summary>The answer to a submit: enough to find the request again.</summary>
public sealed record SubmissionAccepted(Guid Id, string Type, RequestStatus Status, DateTimeOffset CreatedAt, RequestLinks Links);

public sealed record ProgressDocument(int Percent, string? Stage);

public sealed record HistoryEntry(RequestStatus Status, DateTimeOffset At, int Attempt, string? Detail);

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
    RequestLinks Links);

public static class RequestDocumentMapping
{
    public static RequestLinks LinksFor(Guid id) =>
        new($"/requests/{id}", $"/requests/{id}/events", $"/requests/{id}/cancel");

    public static async Task<RequestStatusDocument?> FindStatusDocumentAsync(this RequestsDbContext db, Guid id, CancellationToken cancellationToken) =>
        (await db.Requests.AsNoTracking().Include(r => r.History).SingleOrDefaultAsync(r => r.Id == id, cancellationToken))?.ToStatusDocument();

    public static async Task<List<RequestStatusDocument>> FindStatusDocumentsAsync(this RequestsDbContext db, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken) =>
        [.. (await db.Requests.AsNoTracking().Include(r => r.History).Where(r => ids.Contains(r.Id)).ToListAsync(cancellationToken)).Select(r => r.ToStatusDocument())];

    public static SubmissionAccepted ToSubmissionAccepted(this AsyncRequest request) =>
        new(request.Id, request.Type, RequestStatus.Pending, request.CreatedAt, LinksFor(request.Id));

    public static RequestStatusDocument ToStatusDocument(this AsyncRequest request) => new(
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
        LinksFor(request.Id));

    // traceparent is "00-<trace id>-<span id>-<flags>"; the trace id is what the dashboard searches by.
    private static string? TraceIdOf(string? traceParent) =>
        traceParent is { Length: 55 } ? traceParent[3..35] : null;
}
