using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using AsyncRequests.Api.Clients;
using AsyncRequests.Api.RequestTypes;
using AsyncRequests.Api.Webhooks;
using AsyncRequests.Requests.RequestTypes;
using AsyncRequests.Requests.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Requests;

public static class RequestsApi
{
    private const int MaxIdempotencyKeyLength = 200;
    private const string CallbackUrlField = "callbackUrl";

    /// <summary>Strict like the inputs themselves: a misspelled or miscased top-level field is an error, not ignored.</summary>
    private static readonly JsonSerializerOptions s_bodyOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNameCaseInsensitive = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = 32 };

    public static IEndpointRouteBuilder MapRequestsApi(this IEndpointRouteBuilder app)
    {
        var maxBodyBytes = app.ServiceProvider.GetRequiredService<IOptions<SubmissionOptions>>().Value.MaxBodyBytes;
        var requests = app.MapGroup("/requests")
            .WithTags("Requests")
            .RequireAuthorization(ClientServiceCollectionExtensions.PolicyName)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        // On the group's own path: mapped inside the group it would be "/requests/" in traces and the OpenAPI document.
        app.MapPost("/requests", SubmitAsync)
            .WithTags("Requests")
            .WithName("SubmitRequest")
            .RequireAuthorization(ClientServiceCollectionExtensions.PolicyName)
            .RequireRateLimiting(ClientRateLimit.PolicyName)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithSummary("Submit work; answers 202 at once with where to follow it.")
            .Accepts<SubmitRequestBody>("application/json")
            .AddOpenApiOperationTransformer(RequestBodySchemas.DescribePerTypeAsync)
            .WithMetadata(new RequestSizeLimitAttribute(maxBodyBytes))
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        requests.MapGet(
                "/{id:guid}",
                (Guid id, HttpContext http, RequestsDbContext db, IOptions<SubmissionOptions> options, CancellationToken cancellationToken) =>
                    GetAsync(id, http.User.ClientId(), http, db, options, cancellationToken))
            .WithName("GetRequest")
            .RequireRateLimiting(DatabaseConcurrency.PolicyName)
            .WithSummary("The status document of a request.");

        requests.MapGet(
                "/{id:guid}/events",
                (Guid id, [FromHeader(Name = RequestHeaders.LastEventId)] string? lastEventId, ClaimsPrincipal user, RequestWatchers watchers, RequestEventStream events, CancellationToken cancellationToken) =>
                    StreamEventsAsync(id, user.ClientId(), lastEventId, watchers, events, cancellationToken))
            .WithName("StreamRequestEvents")
            .WithSummary("Server-Sent Events: the status document each time it changes, until the request is terminal; resumes after Last-Event-ID.");

        requests.MapPost(
                "/{id:guid}/cancel",
                (Guid id, ClaimsPrincipal user, RequestCanceller canceller, RequestsDbContext db, CancellationToken cancellationToken) =>
                    CancelAsync(id, user.ClientId(), canceller, db, cancellationToken))
            .WithName("CancelRequest")
            .RequireRateLimiting(DatabaseConcurrency.PolicyName)
            .WithSummary("Cancel a pending request at once; for a processing one, ask its worker to stop it (best effort).");

        return app;
    }

    private static async Task<Results<Accepted<SubmissionAccepted>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        HttpContext http,
        [FromHeader(Name = RequestHeaders.IdempotencyKey)] string? idempotencyKey,
        RequestSubmitter submitter,
        CallbackUrlValidator callbackUrls,
        IOptions<SubmissionOptions> options,
        IOptions<BackpressureOptions> backpressure,
        IOptions<ClientOptions> clients,
        CancellationToken cancellationToken)
    {
        if (!http.Request.HasJsonContentType())
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                detail: "Send the request as JSON with Content-Type: application/json.");
        }

        // Two header lines would be bound as one key joined by a comma, which is what one line with a comma means in HTTP.
        if (http.Request.Headers[RequestHeaders.IdempotencyKey].Count > 1 || idempotencyKey?.Contains(',', StringComparison.Ordinal) == true)
        {
            return Invalid("Idempotency-Key", "Send one Idempotency-Key header holding one key, without commas.");
        }

        // Printable ASCII, as HTTP header values should be: nothing a database could choke on.
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > MaxIdempotencyKeyLength || !idempotencyKey.All(c => c is >= ' ' and <= '~')))
        {
            return Invalid("Idempotency-Key", $"The key must be 1 to {MaxIdempotencyKeyLength} printable ASCII characters.");
        }

        SubmitRequestBody? body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, s_documentOptions, cancellationToken);
            if (StorableText.FindProblem(document.RootElement) is (var field, var message))
            {
                return Invalid(field, message);
            }

            body = document.RootElement.Deserialize<SubmitRequestBody>(s_bodyOptions);
        }
        catch (JsonException e)
        {
            return DescribeBodyError(e);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                detail: $"The body must not be larger than {options.Value.MaxBodyBytes} bytes.");
        }
        catch (BadHttpRequestException e)
        {
            // Typically a client that hung up mid-body: its mistake, not ours, so no error is logged.
            return TypedResults.Problem(statusCode: e.StatusCode, detail: "The body could not be read to its end.");
        }

        var read = RequestTypeCatalog.Read(body?.Type, body?.Input);
        var errors = read.Errors ?? new Dictionary<string, string[]>();
        if (body?.CallbackUrl is { } callbackUrl && await callbackUrls.FindProblemAsync(callbackUrl, cancellationToken) is { } callbackProblem)
        {
            errors[CallbackUrlField] = [callbackProblem];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var limits = http.ClientLimits();
        var outcome = await submitter.SubmitAsync(http.User.ClientId(), limits, body!.Type!, read.Input!, body.CallbackUrl, idempotencyKey, cancellationToken);
        switch (outcome)
        {
            case SubmissionOutcome.KeyReused:
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status422UnprocessableEntity,
                    title: "Idempotency key reused",
                    detail: "This Idempotency-Key was already used for a request with a different type, input or callbackUrl.");
            case SubmissionOutcome.Replayed replayed:
                http.Response.Headers[RequestHeaders.IdempotentReplayed] = "true";
                return Accept(replayed.Request);
            case SubmissionOutcome.Accepted accepted:
                return Accept(accepted.Request);
            case SubmissionOutcome.AtPendingCap:
                http.Response.Headers.RetryAfter = clients.Value.PendingRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Quota exceeded",
                    detail: $"This client has {limits.MaxPendingRequests} unfinished requests, as many as it may. Nothing was stored; try again once some finish.");
            case SubmissionOutcome.Saturated saturated:
                http.Response.Headers.RetryAfter = backpressure.Value.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "System saturated",
                    detail: $"{saturated.Reason} Nothing was stored; try again later.");
            default:
                throw new InvalidOperationException($"Unexpected submission outcome {outcome}.");
        }

        Accepted<SubmissionAccepted> Accept(AsyncRequest request)
        {
            AskToRetryAfter(http, options.Value);
            var answer = request.ToSubmissionAccepted();
            return TypedResults.Accepted(answer.Links.Self, answer);
        }
    }

    /// <summary><paramref name="clientId"/> is the caller, who must own the request; null: an operator, who may read any.</summary>
    internal static async Task<Results<Ok<RequestStatusDocument>, ProblemHttpResult>> GetAsync(
        Guid id,
        string? clientId,
        HttpContext http,
        RequestsDbContext db,
        IOptions<SubmissionOptions> options,
        CancellationToken cancellationToken)
    {
        if ((await db.FindStatusDocumentAsync(id, cancellationToken)).OwnedBy(clientId) is not { } document)
        {
            return RequestNotFound(id);
        }

        if (!document.Status.IsTerminal())
        {
            AskToRetryAfter(http, options.Value);
        }

        return TypedResults.Ok(document);
    }

    /// <summary><paramref name="clientId"/> is the caller, who must own the request; null: an operator, who may follow any.</summary>
    internal static async Task<Results<ServerSentEventsResult<RequestStatusDocument>, NoContent, ProblemHttpResult>> StreamEventsAsync(
        Guid id,
        string? clientId,
        string? lastEventId,
        RequestWatchers watchers,
        RequestEventStream events,
        CancellationToken cancellationToken)
    {
        // Read with the other streams' reads: however many streams open at once, they share one connection.
        if ((await watchers.ReadAsync(id, cancellationToken)).OwnedBy(clientId) is not { } current)
        {
            return RequestNotFound(id);
        }

        // The client has seen the end already; 204 is what tells an EventSource to stop reconnecting.
        if (current.Status.IsTerminal() && RequestEventStream.VersionOf(current) == lastEventId)
        {
            return TypedResults.NoContent();
        }

        return TypedResults.ServerSentEvents(events.FollowAsync(current, lastEventId, cancellationToken));
    }

    /// <summary><paramref name="clientId"/> is the caller, who must own the request; null: an operator, who may cancel any.</summary>
    internal static async Task<Results<Ok<RequestStatusDocument>, Accepted<RequestStatusDocument>, ProblemHttpResult>> CancelAsync(
        Guid id,
        string? clientId,
        RequestCanceller canceller,
        RequestsDbContext db,
        CancellationToken cancellationToken)
    {
        var outcome = await canceller.CancelAsync(id, clientId, cancellationToken);
        var document = await db.FindStatusDocumentAsync(id, cancellationToken);
        return (outcome, document) switch
        {
            (CancelOutcome.Cancelled, { } cancelled) => TypedResults.Ok(cancelled),
            (CancelOutcome.Requested, { } stopping) => TypedResults.Accepted(stopping.Links.Self, stopping),
            (CancelOutcome.AlreadyFinished, { } finished) => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Request already finished",
                detail: $"Request {id} already {finished.Status.ToWireName()}; there is nothing to cancel."),
            _ => RequestNotFound(id),
        };
    }

    private static void AskToRetryAfter(HttpContext http, SubmissionOptions options) =>
        http.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The document if client <paramref name="clientId"/> owns it, or whoever does for an operator (null). Another
    /// client's request is answered exactly as an unknown one, so an id tells nobody but its owner that the request exists.
    /// </summary>
    private static RequestStatusDocument? OwnedBy(this RequestStatusDocument? document, string? clientId) =>
        clientId is null || document?.ClientId == clientId ? document : null;

    internal static ProblemHttpResult RequestNotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"There is no request {id}.");

    // Blame a field only when the JSON itself was fine; a syntax error is the whole body's.
    private static ValidationProblem DescribeBodyError(JsonException e) => e.Path switch
    {
        "$.type" => Invalid("type", "The type must be a string."),
        "$.callbackUrl" => Invalid(CallbackUrlField, "The callbackUrl must be a string: an absolute URL."),
        ['$', '.', .. var field] when e.Message.Contains("could not be mapped", StringComparison.Ordinal) =>
            Invalid(field, "This field is not part of a request; send only type, input and callbackUrl."),
        _ => Invalid("body", "The body is not valid JSON of the form {\"type\": \"...\", \"input\": {...}, \"callbackUrl\": \"...\"} (callbackUrl optional)."),
    };

    private static ValidationProblem Invalid(string key, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [key] = [message] });
}
