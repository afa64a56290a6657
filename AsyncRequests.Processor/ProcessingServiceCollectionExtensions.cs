using System.Diagnostics.CodeAnalysis;
using AsyncRequests.Processor.Handlers;
using AsyncRequests.Processor.Polling;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.RequestTypes;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Processor;

public static class ProcessingServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddRequestProcessing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProcessorOptions>().BindConfiguration(ProcessorOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ProcessorOptions>, ProcessorOptionsValidator>();
        // Shutdown covers the drain, the last long poll, and a margin to record outcomes and hand back
        // unfinished work; a shutdown that overruns it exits with code 1.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<ProcessorOptions>>((host, processor) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(processor.Value.DrainTimeoutSeconds + processor.Value.WaitTimeSeconds + 15));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RequestLeases>();
        builder.Services.AddSingleton<DatabaseGate>();
        builder.Services.AddSingleton<DeadLetterRequeue>();
        builder.Services.AddSingleton<RunningRequests>();
        builder.Services.AddSingleton<RequestClaimer>();
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

    /// <summary>Every handler, under its request type's name: listed, since a Native AOT build cannot scan its assembly for them.</summary>
    private static void AddRequestHandlers(this IServiceCollection services) =>
        services.AddRequestHandler<MultiplyHandler, MultiplyInput, MultiplyResult>()
            .AddRequestHandler<ComputeHandler, ComputeInput, ComputeResult>()
            .AddRequestHandler<TransformHandler, TransformInput, TransformResult>()
            .AddRequestHandler<TextAnalysisHandler, TextAnalysisInput, TextAnalysisResult>()
            .AddRequestHandler<FailHandler, FailInput, FailResult>();

    private static IServiceCollection AddRequestHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler, TInput, TResult>(
        this IServiceCollection services)
        where THandler : RequestHandler<TInput, TResult>
        where TInput : RequestInput<TResult>
        where TResult : class =>
        services.AddKeyedScoped<IRequestHandler, THandler>(RequestTypeNames.NameOf<TInput>());
}
