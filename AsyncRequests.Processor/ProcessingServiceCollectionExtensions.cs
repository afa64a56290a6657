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
        // Shutdown covers the drain, the last long poll, and a margin to record outcomes and hand back
        // unfinished work; a shutdown that overruns it exits with code 1.
        builder.Services.AddOptions<HostOptions>().Configure<Microsoft.Extensions.Options.IOptions<ProcessorOptions>>((host, processor) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(processor.Value.DrainTimeoutSeconds + processor.Value.WaitTimeSeconds + 15));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RequestLeases>();
        builder.Services.AddSingleton<DatabaseGate>();
        builder.Services.AddSingleton<DeadLetterRequeue>();
        builder.Services.AddSingleton<RunningRequests>();
        builder.Services.AddSingleton<StatusWriter>();
        builder.Services.AddSingleton<MessageProcessor>();
        builder.Services.AddSingleton<ReceiveLoopHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<ReceiveLoopHealthCheck>(ReceiveLoopHealthCheck.Name);
        builder.Services.AddHostedService<RequestPoller>();
        builder.Services.AddHostedService<DeadLetterPoller>();
        builder.Services.AddHostedService<CancellationWatcher>();
        builder.Services.AddRequestHandlers();
        return builder;
    }

    /// <summary>Registers every <see cref="RequestHandler{TInput, TResult}"/> here under its request type's name.</summary>
    private static void AddRequestHandlers(this IServiceCollection services)
    {
        var handlers = typeof(ProcessingServiceCollectionExtensions).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(RequestHandler<,>));
        foreach (var handler in handlers)
        {
            services.AddKeyedScoped(typeof(IRequestHandler), RequestTypeCatalog.NameOf(handler.BaseType!.GetGenericArguments()[0]), handler);
        }
    }
}
