using System.Diagnostics.CodeAnalysis;
using AsyncRequests.Client.AspNetCore;
using AsyncRequests.Contracts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the endpoint that receives AsyncRequests webhooks.</summary>
public static class WebhookEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Receives the webhooks of an AsyncRequests Api at <c>POST <paramref name="pattern"/></c>: verifies the
    /// Standard Webhooks signature over the raw body, refuses stale and future timestamps, skips a
    /// <c>webhook-id</c> already handled, and calls <paramref name="handler"/> with the request's terminal status
    /// document. The answer is 2xx only once the handler returned; when it throws, the answer is 500 and the
    /// sender's retry is handled. Needs <c>services.AddAsyncRequestsWebhookReceiver()</c>.
    /// </summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="pattern">The route, such as <c>/hooks</c>; the Api's <c>callbackUrl</c> points at it.</param>
    /// <param name="handler">Handles one delivery; its token is cancelled when the sender gives up on the attempt.</param>
    /// <returns>A builder to add conventions, such as a host filter or a rate limit.</returns>
    public static IEndpointConventionBuilder MapAsyncRequestsWebhook(
        this IEndpointRouteBuilder endpoints,
        [StringSyntax("Route")] string pattern,
        Func<RequestStatusDocument, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var receiver = endpoints.ServiceProvider.GetService<WebhookReceiver>()
            ?? throw new InvalidOperationException("Call services.AddAsyncRequestsWebhookReceiver() before mapping an AsyncRequests webhook endpoint.");
        return endpoints.MapPost(pattern, http => receiver.ReceiveAsync(http, ContractsJsonContext.Default.RequestStatusDocument, handler));
    }
}
