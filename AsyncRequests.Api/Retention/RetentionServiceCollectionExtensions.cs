namespace AsyncRequests.Api.Retention;

public static class RetentionServiceCollectionExtensions
{
    /// <summary>The background purge of old terminal requests, configured by the <c>Retention</c> section.</summary>
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<RetentionPurge>();
        return builder;
    }
}
