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

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            if (builder.ExecutionContext.IsRunMode && !new[] { "docker", "podman" }.Any(IsOnPath))
            {
                LogNoContainerRuntime(e.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ContainerServers)));
            }

            return Task.CompletedTask;
        });

        return new BackingServers(requestsDb, localstack.GetEndpoint("http"), localstack);
    }

    private static bool IsOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, name)));

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Neither docker nor podman is on PATH, so the postgres and localstack containers cannot start. "
            + "To run PostgreSQL and the SQS emulator from this machine's binaries instead: "
            + "dotnet run --project AsyncRequests.AppHost --launch-profile local")]
    private static partial void LogNoContainerRuntime(ILogger logger);
}
