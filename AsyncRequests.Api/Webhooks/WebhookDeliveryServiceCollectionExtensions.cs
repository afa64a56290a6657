namespace AsyncRequests.Api.Webhooks;

public static class WebhookDeliveryServiceCollectionExtensions
{
    /// <summary>The dispatcher that sends the deliveries the terminal transitions recorded; needs <c>AddWebhooks</c>.</summary>
    public static IHostApplicationBuilder AddWebhookDelivery(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<WebhookDeliveries>();
        builder.Services.AddHostedService<WebhookDispatcher>();
        return builder;
    }
}
