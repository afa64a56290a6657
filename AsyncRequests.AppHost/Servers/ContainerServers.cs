using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AsyncRequests.AppHost;

/// <summary>PostgreSQL and LocalStack (for SQS) in containers: the default, for machines with Docker.</summary>
internal static partial class ContainerServers
{
    public static BackingServers AddContainerServers(this IDistributedApplicationBuilder builder)
    {
        // LocalStack emulates SQS. The tag is pinned: LocalStack's images from 4.15 on (and `latest`) need an
        // account auth token, 4.12 runs without one.
        var localstack = builder.AddContainer("localstack", "localstack/localstack", "4.12.0")
            .WithEnvironment("SERVICES", "sqs")
            .WithHttpEndpoint(targetPort: 4566, name: "http")
            .WithHttpHealthCheck("/_localstack/health");

        var requestsDb = builder.AddPostgres("postgres")
            .WithDataVolume()
            .AddDatabase("requestsdb");

        // Said before the containers start: without a container runtime they never do, and DCP's own message names
        // only the runtime, not the way around it.
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
            {
                LogContainersNeedRuntime(e.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ContainerServers)));
                return Task.CompletedTask;
            });
        }

        return new BackingServers(requestsDb, localstack.GetEndpoint("http"), localstack);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "postgres and localstack run in containers, which need Docker or Podman running. Without one, run "
            + "PostgreSQL and the SQS emulator from this machine's binaries: "
            + "dotnet run --project AsyncRequests.AppHost --launch-profile local")]
    private static partial void LogContainersNeedRuntime(ILogger logger);
}
