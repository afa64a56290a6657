using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AsyncRequests.Requests.RequestTypes;

namespace AsyncRequests.Processor.Handlers;

/// <summary>What the processing pipeline calls; handlers derive from <see cref="RequestHandler{TInput, TResult}"/> instead.</summary>
public interface IRequestHandler
{
    /// <summary>Runs the handler on the stored input (JSON) and returns its result as JSON.</summary>
    Task<string> HandleAsync(string input, RequestContext context, CancellationToken cancellationToken);
}

/// <summary>
/// The work of one request type: derive, implement one method, and add it to the Processor's handler list
/// (keyed by its input's <see cref="RequestTypeAttribute"/>; resolved from a fresh scope per message).
/// The result is the contract's record for the input, so clients read what handlers write.
/// Throw <see cref="TransientRequestException"/> for errors worth retrying; any other exception fails the request.
/// </summary>
public abstract class RequestHandler<TInput, TResult> : IRequestHandler
    where TInput : RequestInput<TResult>
    where TResult : class
{
    // The contract's source-generated metadata: no reflection, so the Processor can be published with Native AOT.
    private static readonly JsonTypeInfo<TInput> s_input = (JsonTypeInfo<TInput>)ContractsJsonContext.Default.GetTypeInfo(typeof(TInput))!;
    private static readonly JsonTypeInfo<TResult> s_result = (JsonTypeInfo<TResult>)ContractsJsonContext.Default.GetTypeInfo(typeof(TResult))!;

    async Task<string> IRequestHandler.HandleAsync(string input, RequestContext context, CancellationToken cancellationToken)
    {
        var parsed = JsonSerializer.Deserialize(input, s_input)
            ?? throw new JsonException($"The stored input of a {RequestTypeNames.NameOf<TInput>()} request is null.");
        return JsonSerializer.Serialize(await HandleAsync(parsed, context, cancellationToken), s_result);
    }

    protected abstract Task<TResult> HandleAsync(TInput input, RequestContext context, CancellationToken cancellationToken);
}

/// <summary>A failure that may not happen again: the request goes back to pending and is retried with backoff.</summary>
public sealed class TransientRequestException(string message) : Exception(message);
