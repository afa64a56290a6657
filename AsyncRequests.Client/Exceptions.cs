using System.Net;
using AsyncRequests.Contracts;

namespace AsyncRequests.Client;

/// <summary>The Api answered with an error; <see cref="Problem"/> is its RFC 9457 body.</summary>
public class AsyncRequestsApiException(HttpStatusCode statusCode, ProblemDocument problem)
    : Exception(problem.Detail ?? problem.Title ?? $"The Api answered {(int)statusCode}.")
{
    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>The problem details the Api sent (or, if it sent none, one made from the status).</summary>
    public ProblemDocument Problem { get; } = problem;
}

/// <summary>400: the input or a header is invalid; <see cref="Errors"/> says which field and why. Nothing was stored.</summary>
public sealed class RequestValidationException(ProblemDocument problem) : AsyncRequestsApiException(HttpStatusCode.BadRequest, problem)
{
    /// <summary>The messages of each invalid field, keyed by the JSON path the client sent (<c>input.num1</c>).</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; } = problem.Errors ?? new Dictionary<string, string[]>();
}

/// <summary>404: there is no such request (or it is not the caller's).</summary>
public sealed class RequestNotFoundException(ProblemDocument problem) : AsyncRequestsApiException(HttpStatusCode.NotFound, problem);

/// <summary>409: the request is already terminal, so there is nothing to cancel.</summary>
public sealed class RequestConflictException(ProblemDocument problem) : AsyncRequestsApiException(HttpStatusCode.Conflict, problem);

/// <summary>422: the idempotency key was already used for a request with another type, input or callback URL.</summary>
public sealed class IdempotencyKeyReusedException(ProblemDocument problem) : AsyncRequestsApiException(HttpStatusCode.UnprocessableEntity, problem);

/// <summary>429 or 503: the Api is busy or a dependency is down; try again after <see cref="RetryAfter"/>.</summary>
public sealed class ServiceBusyException(HttpStatusCode statusCode, ProblemDocument problem, TimeSpan? retryAfter)
    : AsyncRequestsApiException(statusCode, problem)
{
    /// <summary>The Api's <c>Retry-After</c>, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>The request itself ended <c>failed</c>; <see cref="Error"/> is its error.</summary>
public sealed class RequestFailedException(RequestStatusDocument document)
    : Exception($"Request {document.Id} failed: {document.Error}")
{
    /// <summary>The request's error as the Api reports it.</summary>
    public string? Error { get; } = document.Error;

    /// <summary>The request's final status document.</summary>
    public RequestStatusDocument Document { get; } = document;
}

/// <summary>The request itself ended <c>cancelled</c>: it has no result. (Cancelling a wait throws <see cref="OperationCanceledException"/> instead.)</summary>
public sealed class RequestCancelledException(RequestStatusDocument document)
    : Exception($"Request {document.Id} was cancelled.")
{
    /// <summary>The request's final status document.</summary>
    public RequestStatusDocument Document { get; } = document;
}
