using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AsyncRequests.Contracts;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Client;

/// <summary>
/// Submits requests to the AsyncRequests Api and follows them. Register it with
/// <c>services.AddAsyncRequestsClient(...)</c>; it is a typed <see cref="HttpClient"/>, cheap to resolve.
/// </summary>
public sealed class AsyncRequestsClient(HttpClient http, IOptions<AsyncRequestsClientOptions> options, TimeProvider time)
{
    private static readonly ContractsJsonContext s_json = ContractsJsonContext.Default;
    private static readonly MediaTypeWithQualityHeaderValue s_eventStream = new("text/event-stream");

    private readonly AsyncRequestsClientOptions _options = options.Value;

    /// <summary>
    /// Submits <paramref name="input"/> as a request of the type its <see cref="RequestTypeAttribute"/> names and returns
    /// the operation that follows it. A submit always carries an idempotency key (one is made up when
    /// <paramref name="submitOptions"/> has none), so it is retried after a 429, a 503 or a lost connection.
    /// </summary>
    /// <exception cref="RequestValidationException">The input is invalid; nothing was stored.</exception>
    /// <exception cref="IdempotencyKeyReusedException">The key was used for other work.</exception>
    /// <exception cref="ServiceBusyException">The Api stayed busy over every attempt.</exception>
    public async Task<RequestOperation<TResult>> SubmitAsync<TResult>(
        RequestInput<TResult> input, SubmitOptions? submitOptions = null, CancellationToken cancellationToken = default)
        where TResult : class
    {
        ArgumentNullException.ThrowIfNull(input);
        var type = input.GetType().GetCustomAttribute<RequestTypeAttribute>()?.Name
            ?? throw new ArgumentException($"{input.GetType().Name} has no [{nameof(RequestTypeAttribute)}].", nameof(input));
        var body = new SubmitRequestBody(
            type,
            JsonSerializer.SerializeToElement(input, s_json.GetTypeInfo(input.GetType())!),
            submitOptions?.CallbackUrl?.AbsoluteUri);
        var idempotencyKey = submitOptions?.IdempotencyKey ?? Guid.NewGuid().ToString();

        for (var attempt = 1; ; attempt++)
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, "requests")
            {
                Content = JsonContent.Create(body, s_json.SubmitRequestBody),
            };
            message.Headers.Add(RequestHeaders.IdempotencyKey, idempotencyKey);
            TimeSpan delay;
            try
            {
                using var response = await http.SendAsync(message, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    var accepted = await ReadAsync(response, s_json.SubmissionAccepted, cancellationToken);
                    return new RequestOperation<TResult>(this, accepted.Id);
                }

                var error = await ErrorOfAsync(response, cancellationToken);
                if (error is not ServiceBusyException busy || attempt >= _options.SubmitAttempts)
                {
                    throw error;
                }

                delay = busy.RetryAfter ?? DefaultRetryDelay;
            }
            catch (HttpRequestException) when (attempt < _options.SubmitAttempts && !cancellationToken.IsCancellationRequested)
            {
                delay = DefaultRetryDelay;
            }

            await Task.Delay(delay, time, cancellationToken);
        }
    }

    /// <summary>The operation of a request submitted earlier, by its id; call <see cref="RequestOperation{TResult}.UpdateStatusAsync"/> to read its status.</summary>
    public RequestOperation<TResult> GetOperation<TResult>(Guid id) where TResult : class => new(this, id);

    internal TimeSpan DefaultRetryDelay => TimeSpan.FromSeconds(_options.DefaultRetryDelaySeconds);

    internal TimeProvider Time => time;

    /// <summary>The status document and the Api's Retry-After (how soon to look again).</summary>
    internal async Task<(RequestStatusDocument Document, TimeSpan? RetryAfter)> GetStatusAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"requests/{id}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorOfAsync(response, cancellationToken);
        }

        return (await ReadAsync(response, s_json.RequestStatusDocument, cancellationToken), RetryAfterOf(response));
    }

    internal async Task<RequestStatusDocument> CancelAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync($"requests/{id}/cancel", content: null, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorOfAsync(response, cancellationToken);
        }

        return await ReadAsync(response, s_json.RequestStatusDocument, cancellationToken);
    }

    /// <summary>
    /// The events after <paramref name="lastEventId"/>, until the stream ends. An answer that is no event stream
    /// ends with <see cref="EventStreamRefusedException"/>; a 204 (nothing after the last event) yields nothing.
    /// </summary>
    internal async IAsyncEnumerable<(RequestStatusDocument Document, string? EventId, TimeSpan Retry)> FollowAsync(
        Guid id, string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"requests/{id}/events");
        message.Headers.Accept.Add(s_eventStream);
        if (lastEventId is not null)
        {
            message.Headers.Add(RequestHeaders.LastEventId, lastEventId);
        }

        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            yield break;
        }

        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw await ErrorOfAsync(response, cancellationToken);
        }

        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != s_eventStream.MediaType)
        {
            throw new EventStreamRefusedException();
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var parser = SseParser.Create(stream, (_, data) => JsonSerializer.Deserialize(data, s_json.RequestStatusDocument));
        await foreach (var item in parser.EnumerateAsync(cancellationToken))
        {
            if (item.EventType == RequestEvents.StatusEventType && item.Data is { } document)
            {
                yield return (document, item.EventId, parser.ReconnectionInterval);
            }
        }
    }

    internal static TResult ReadResult<TResult>(JsonElement result) where TResult : class =>
        result.Deserialize((JsonTypeInfo<TResult>)s_json.GetTypeInfo(typeof(TResult))!)
        ?? throw new JsonException($"The result is null, not a {typeof(TResult).Name}.");

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        await response.Content.ReadFromJsonAsync(type, cancellationToken)
        ?? throw new JsonException($"The Api answered null instead of a {typeof(T).Name}.");

    /// <summary>The typed exception of an error answer, carrying its problem details.</summary>
    private static async Task<AsyncRequestsApiException> ErrorOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ProblemDocument? problem = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync(s_json.ProblemDocument, cancellationToken);
            }
            catch (JsonException)
            {
                // An error body that is not problem details (a proxy's page, say) still leaves the status to go by.
            }
        }

        problem ??= new ProblemDocument { Status = (int)response.StatusCode, Title = response.ReasonPhrase };
        return response.StatusCode switch
        {
            HttpStatusCode.BadRequest => new RequestValidationException(problem),
            HttpStatusCode.NotFound => new RequestNotFoundException(problem),
            HttpStatusCode.Conflict => new RequestConflictException(problem),
            HttpStatusCode.UnprocessableEntity => new IdempotencyKeyReusedException(problem),
            HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable => new ServiceBusyException(response.StatusCode, problem, RetryAfterOf(response)),
            _ => new AsyncRequestsApiException(response.StatusCode, problem),
        };
    }

    private static TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}

/// <summary>The Api (or something in front of it) answered the event stream with something else: poll instead.</summary>
internal sealed class EventStreamRefusedException() : Exception("The event stream was refused.");
