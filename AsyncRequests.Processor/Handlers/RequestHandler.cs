using AsyncRequests.Requests.RequestTypes;

namespace AsyncRequests.Processor.Handlers;

/// <summary>What the processing pipeline calls; handlers derive from <see cref="RequestHandler{TInput, TResult}"/> instead.</summary>
public interface IRequestHandler
{
    Task<object> HandleAsync(string input, RequestContext context, CancellationToken cancellationToken);
}

/// <summary>
/// The work of one request type: derive, implement one method, and the type is served (handlers are
/// found by their input's <see cref="RequestTypeAttribute"/> and resolved from a fresh scope per message).
/// The result is the contract's record for the input, so clients read what handlers write.
/// Throw <see cref="TransientRequestException"/> for errors worth retrying; any other exception fails the request.
/// </summary>
public abstract class RequestHandler<TInput, TResult> : IRequestHandler
    where TInput : RequestInput<TResult>
    where TResult : class
{
    async Task<object> IRequestHandler.HandleAsync(string input, RequestContext context, CancellationToken cancellationToken) =>
        await HandleAsync(RequestTypeCatalog.Deserialize<TInput>(input), context, cancellationToken);

    protected abstract Task<TResult> HandleAsync(TInput input, RequestContext context, CancellationToken cancellationToken);
}

/// <summary>A failure that may not happen again: the request goes back to pending and is retried with backoff.</summary>
public sealed class TransientRequestException(string message) : Exception(message);
