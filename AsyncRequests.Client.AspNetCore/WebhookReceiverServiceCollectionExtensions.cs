using AsyncRequests.Client.AspNetCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what <c>MapAsyncRequestsWebhook</c> needs.</summary>
public static class WebhookReceiverServiceCollectionExtensions
{
    /// <summary>
    /// Registers the webhook receiver: signature verification with <see cref="WebhookReceiverOptions"/> (validated
    /// when the application starts) and, unless another <see cref="IWebhookDeduplicationStore"/> is registered, the
    /// <see cref="InMemoryWebhookDeduplicationStore"/>.
    /// </summary>
    /// <returns>The options builder, to bind a configuration section: <c>.BindConfiguration("AsyncRequests:Webhooks")</c>.</returns>
    public static OptionsBuilder<WebhookReceiverOptions> AddAsyncRequestsWebhookReceiver(
        this IServiceCollection services, Action<WebhookReceiverOptions>? configure = null)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IWebhookDeduplicationStore, InMemoryWebhookDeduplicationStore>();
        services.TryAddSingleton<WebhookSignatureVerifier>();
        services.TryAddSingleton<WebhookReceiver>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookReceiverOptions>, WebhookReceiverOptionsValidator>());
        var options = services.AddOptions<WebhookReceiverOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return options;
    }
}
