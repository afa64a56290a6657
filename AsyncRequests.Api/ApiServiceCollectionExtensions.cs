using System.Text.Json;
using System.Text.Json.Serialization;
using AsyncRequests.Api.Outbox;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Queue;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api;

public static class ApiServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddRequestsApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SubmissionOptions>().BindConfiguration(SubmissionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<RequestSubmitter>();
        builder.Services.AddScoped<RequestCanceller>();
        builder.Services.AddScoped<RequestPublisher>();
        return builder;
    }

    public static IHostApplicationBuilder AddOutboxRelay(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.SectionName).ValidateDataAnnotations()
            .Validate<IOptions<QueueOptions>>(
                (outbox, queue) => outbox.StrandedAfterSeconds > queue.Value.VisibilityTimeoutSeconds,
                "Outbox:StrandedAfterSeconds must be longer than Queue:VisibilityTimeoutSeconds, or messages only hidden by a failed claim would be sent again.")
            .ValidateOnStart();
        builder.Services.AddHostedService<OutboxRelay>();
        builder.Services.AddHostedService<StrandedRequestSweeper>();
        return builder;
    }
}
