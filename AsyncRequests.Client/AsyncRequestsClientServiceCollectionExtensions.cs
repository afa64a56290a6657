using System.Net.Http.Headers;
using AsyncRequests.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="AsyncRequestsClient"/>.</summary>
public static class AsyncRequestsClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="AsyncRequestsClient"/> as a typed <see cref="HttpClient"/> of <see cref="IHttpClientFactory"/>.
    /// The returned builder takes the usual additions, such as <c>AddServiceDiscovery()</c> or
    /// <c>AddStandardResilienceHandler()</c> (whose retries are safe for submits too: each carries an idempotency key).
    /// </summary>
    public static IHttpClientBuilder AddAsyncRequestsClient(this IServiceCollection services, Action<AsyncRequestsClientOptions> configure)
    {
        services.AddOptions<AsyncRequestsClientOptions>()
            .Configure(configure)
            .Validate(o => o.BaseAddress is { IsAbsoluteUri: true }, "AsyncRequests client: BaseAddress must be an absolute URI.")
            .Validate(o => o.SubmitAttempts is >= 1 and <= 20, "AsyncRequests client: SubmitAttempts must be from 1 to 20.")
            .Validate(o => o.DefaultRetryDelaySeconds is > 0 and <= 300, "AsyncRequests client: DefaultRetryDelaySeconds must be more than 0 and at most 300.");
        services.TryAddSingleton(TimeProvider.System);
        return services.AddHttpClient<AsyncRequestsClient>((provider, http) =>
        {
            var options = provider.GetRequiredService<IOptions<AsyncRequestsClientOptions>>().Value;
            http.BaseAddress = options.BaseAddress;
            // The event stream of a long request stays open far longer than any request-wide timeout.
            http.Timeout = Timeout.InfiniteTimeSpan;
            if (options.ClientKey is { } key)
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
        });
    }
}
