using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>Webhook options, the callbackUrl check, the signer and the sending HttpClient.</summary>
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<CallbackUrlValidator>();
        builder.Services.AddSingleton<WebhookSigner>();
        builder.Services.AddSingleton<CallbackAddressGuard>();
        builder.Services.AddHttpClient<WebhookSender>(http =>
            {
                http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("AsyncRequests-Webhooks", "1.0"));
                // WebhookSender sets one deadline over the whole attempt, body included.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                ConnectCallback = services.GetRequiredService<CallbackAddressGuard>().ConnectAsync,
                // Connection attempts outlive a cancelled request (the pool may reuse them), so they need their own bound.
                ConnectTimeout = TimeSpan.FromSeconds(services.GetRequiredService<IOptions<WebhookOptions>>().Value.TimeoutSeconds),
                AllowAutoRedirect = false,
                UseProxy = false,
                UseCookies = false,
                MaxResponseHeadersLength = 16, // KiB: what the sender looks at is the status and Retry-After
                MaxResponseDrainSize = 0,
                // Connections are redialled now and then, so DNS changes are seen (and checked again).
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            })
            // The defaults give every client a retrying resilience handler and service discovery. Here a
            // retry would be an attempt nobody records (the dispatcher owns retries), and service discovery
            // could map a callback host onto an internal service, so this client has no extra handlers.
            .ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Clear());
        return builder;
    }
}
