using System.Text.Json;
using System.Text.Json.Serialization;
using AsyncRequests.Api.Outbox;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

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
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ContractsJsonContext.Default);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<RequestSubmitter>();
        builder.Services.AddScoped<RequestCanceller>();
        builder.Services.AddSingleton<RequestEventStream>();
        builder.Services.AddSingleton<RequestWatchers>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RequestWatchers>());
        builder.Services.AddHostedService<RequestChangeListener>();

        // EF Core logs every failed command at Error, then throws. Whoever catches the exception knows
        // whether it matters (a lost idempotency race or the migrator's probe for its history table does
        // not), and the exception handler logs what nobody catches, so EF's own copy is only Debug.
        builder.Services.ConfigureDbContext<RequestsDbContext>(
            options => options.ConfigureWarnings(warnings => warnings.Log(
                (RelationalEventId.CommandError, LogLevel.Debug),
                (RelationalEventId.ConnectionError, LogLevel.Debug),
                (CoreEventId.SaveChangesFailed, LogLevel.Debug),
                (CoreEventId.QueryIterationFailed, LogLevel.Debug))),
            ServiceLifetime.Singleton);

        builder.Services.AddSingleton<Backlog>();
        builder.Services.AddSingleton<SubmissionWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SubmissionWriter>());
        builder.Services.AddSingleton<RequestPublisher>();
        builder.Services.AddSingleton<RelayHandoffs>();
        builder.Services.AddHostedService<QueuesAtStart>();
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
