using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Admin;

/// <summary>
/// The operators' API under <c>/admin</c>: one group behind one authorization policy (a bearer API key).
/// Without a configured key nothing here is mapped, so the routes do not exist at all.
/// </summary>
public static partial class AdminApi
{
    public const string Prefix = "/admin";
    public const string PolicyName = "Admin";

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value.Enabled)
        {
            LogAdminOff(app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminApi).FullName!));
            return app;
        }

        var admin = app.MapGroup(Prefix)
            .WithTags("Admin")
            .RequireAuthorization(PolicyName)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        admin.MapGet("/requests", ListAsync)
            .WithName("AdminListRequests")
            .WithSummary("Requests, newest first, filtered and paged by an opaque cursor.");
        admin.MapMethods("/requests", [HttpMethods.Head], ListAsync).ExcludeFromDescription();
        admin.MapOtherMethods("/requests", HttpMethods.Get, HttpMethods.Head);

        // The public reads without their ownership check: an operator reads and follows any client's request.
        admin.MapGet("/requests/{id:guid}", GetAsync)
            .WithName("AdminGetRequest")
            .RequireRateLimiting(DatabaseConcurrency.PolicyName)
            .WithSummary("The status document of any client's request, as GET /requests/{id} answers its owner.");
        admin.MapMethods("/requests/{id:guid}", [HttpMethods.Head], GetAsync)
            .RequireRateLimiting(DatabaseConcurrency.PolicyName)
            .ExcludeFromDescription();
        admin.MapOtherMethods("/requests/{id:guid}", HttpMethods.Get, HttpMethods.Head);

        admin.MapGet(
                "/requests/{id:guid}/events",
                (Guid id, [FromHeader(Name = RequestHeaders.LastEventId)] string? lastEventId, RequestWatchers watchers, RequestEventStream events, CancellationToken cancellationToken) =>
                    RequestsApi.StreamEventsAsync(id, clientId: null, lastEventId, watchers, events, cancellationToken))
            .WithName("AdminStreamRequestEvents")
            .WithSummary("Server-Sent Events of any client's request, as GET /requests/{id}/events streams them to its owner.");
        admin.MapOtherMethods("/requests/{id:guid}/events", HttpMethods.Get);

        admin.MapPost("/requests/{id:guid}/retry", RetryAsync)
            .WithName("AdminRetryRequest")
            .WithSummary("Run a failed or cancelled request again, with a fresh attempt budget.");
        admin.MapOtherMethods("/requests/{id:guid}/retry", HttpMethods.Post);

        admin.MapPost(
                "/requests/{id:guid}/cancel",
                (Guid id, RequestCanceller canceller, RequestsDbContext db, CancellationToken cancellationToken) =>
                    RequestsApi.CancelAsync(id, clientId: null, canceller, db, cancellationToken))
            .WithName("AdminCancelRequest")
            .WithSummary("Cancel a request, as the public cancel does.");
        admin.MapOtherMethods("/requests/{id:guid}/cancel", HttpMethods.Post);

        admin.MapGet("/stats", GetStatsAsync)
            .WithName("AdminStats")
            .WithSummary("Counts by status and type, backlog, queue depths and the last minute's completions.");
        admin.MapMethods("/stats", [HttpMethods.Head], GetStatsAsync).ExcludeFromDescription();
        admin.MapOtherMethods("/stats", HttpMethods.Get, HttpMethods.Head);

        admin.MapClientsApi();

        return app;
    }

    private static async Task<Results<Ok<RequestPage>, ValidationProblem>> ListAsync(
        HttpRequest http,
        [FromQuery] string? status,
        [FromQuery] string? type,
        [FromQuery] string? client,
        [FromQuery] string? createdBefore,
        [FromQuery] string? createdAfter,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        AdminRequests requests,
        CancellationToken cancellationToken)
    {
        var (query, errors) = RequestListQuery.Read(status, type, client, createdBefore, createdAfter, limit, cursor, http.Query);
        if (query is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(await requests.ListAsync(query, cancellationToken));
    }

    private static Task<Results<Ok<RequestStatusDocument>, ProblemHttpResult>> GetAsync(
        Guid id,
        HttpContext http,
        RequestsDbContext db,
        IOptions<SubmissionOptions> options,
        CancellationToken cancellationToken) =>
        RequestsApi.GetAsync(id, clientId: null, http, db, options, cancellationToken);

    private static async Task<Results<Accepted<RequestStatusDocument>, ProblemHttpResult>> RetryAsync(
        Guid id,
        AdminRequests requests,
        CancellationToken cancellationToken)
    {
        switch (await requests.RetryAsync(id, cancellationToken))
        {
            case RetryOutcome.Retried(var document):
                return TypedResults.Accepted(document.Links.Self, document);
            case RetryOutcome.NotRetryable notRetryable:
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "Request cannot be retried",
                    detail: $"Request {id} is {notRetryable.Status.ToWireName()}; only failed or cancelled requests are retried.");
            default:
                return RequestsApi.RequestNotFound(id);
        }
    }

    /// <summary>
    /// Every other method on <paramref name="pattern"/>: without it routing would answer 405 before the
    /// group's authorization runs, telling a caller without a key which admin routes exist. Endpoints
    /// with methods win over this one, which has none, so it is only reached by the others.
    /// </summary>
    private static void MapOtherMethods(this RouteGroupBuilder admin, string pattern, params string[] allowed) =>
        admin.Map(pattern, (HttpRequest request) =>
            {
                request.HttpContext.Response.Headers.Allow = string.Join(", ", allowed);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status405MethodNotAllowed,
                    detail: $"{request.Method} is not allowed here; use {string.Join(" or ", allowed)}.");
            })
            .ExcludeFromDescription();

    private static async Task<Ok<AdminStats>> GetStatsAsync(AdminStatistics statistics, CancellationToken cancellationToken) =>
        TypedResults.Ok(await statistics.GetAsync(cancellationToken));

    [LoggerMessage(Level = LogLevel.Information, Message = "The admin API is off: no key is configured in Admin:ApiKeys")]
    private static partial void LogAdminOff(ILogger logger);
}
