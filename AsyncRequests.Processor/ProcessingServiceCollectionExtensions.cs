using AsyncRequests.Processor.Handlers;
using AsyncRequests.Processor.Polling;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.RequestTypes;

namespace AsyncRequests.Processor;

public static class ProcessingServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddRequestProcessing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProcessorOptions>().BindConfiguration(ProcessorOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // Shutdown waits for the drain plus the time to record outcomes and hand back unfinished work.
        builder.Services.AddOptions<HostOptions>().Configure<Microsoft.Extensions.Options.IOptions<ProcessorOptions>>((host, processor) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(processor.Value.DrainTimeoutSeconds + 15));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RequestLeases>();
        builder.Services.AddSingleton<SchemaGate>();
        builder.Services.AddSingleton<MessageProcessor>();
        builder.Services.AddHostedService<RequestPoller>();
        builder.Services.AddRequestHandlers();
        return builder;
    }

    /// <summary>Registers every <see cref="RequestHandler{TInput}"/> here under its request type's name.</summary>
    private static void AddRequestHandlers(this IServiceCollection services)
    {
        var handlers = typeof(ProcessingServiceCollectionExtensions).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(RequestHandler<>));
        foreach (var handler in handlers)
        {
            services.AddKeyedScoped(typeof(IRequestHandler), RequestTypeCatalog.NameOf(handler.BaseType!.GetGenericArguments()[0]), handler);
        }
    }
}
