using System.Text.Json;
using System.Text.Json.Serialization;
using AsyncRequests.Api.Outbox;
using AsyncRequests.Api.Requests;

namespace AsyncRequests.Api;

public static class ApiServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddRequestsApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SubmissionOptions>().BindConfiguration(SubmissionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<BackpressureOptions>().BindConfiguration(BackpressureOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();
        builder.AddDatabaseConcurrencyLimit();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<RequestSubmitter>();
        builder.Services.AddScoped<RequestCanceller>();
        builder.Services.AddSingleton<Backlog>();
        builder.Services.AddSingleton<SubmissionWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SubmissionWriter>());
        builder.Services.AddSingleton<RequestPublisher>();
        return builder;
    }

    public static IHostApplicationBuilder AddOutboxRelay(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<OutboxRelay>();
        return builder;
    }
}
