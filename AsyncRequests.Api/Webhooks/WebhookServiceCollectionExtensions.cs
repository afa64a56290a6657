namespace AsyncRequests.Api.Webhooks;

public static class WebhookServiceCollectionExtensions
{
    /// <summary>Webhook options, the callbackUrl check, the signer and the sending HttpClient.</summary>
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CallbackUrlValidator>();
        builder.Services.AddSingleton<WebhookSigner>();
        builder.Services.AddHttpClient<WebhookSender>();
        return builder;
    }
}
