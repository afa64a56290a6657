using System.Collections.Concurrent;
using System.Diagnostics;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AsyncRequests.AppHost.Tests.LocalMode;

/// <summary>
/// The AppHost in local mode (PostgreSQL and the SQS emulator as processes, no containers) with its dashboard,
/// started once for all the local-mode tests, on a fresh data folder that is deleted afterwards.
/// </summary>
public sealed class LocalAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromMinutes(4);

    private readonly DirectoryInfo _dataDirectory = CreateDataDirectory();
    private readonly ConcurrentDictionary<string, ResourceEvent> _instances = new();
    private readonly CancellationTokenSource _stopping = new();
    private DistributedApplication? _app;
    private Task _watching = Task.CompletedTask;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app is not running.");

    public string DataDirectory => _dataDirectory.FullName;

    /// <summary>From the start of the AppHost until every resource was healthy.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>The dashboard, with the key of its telemetry API.</summary>
    public HttpClient Dashboard { get; } = new();

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartupTimeout);
        var ct = timeout.Token;
        var stopwatch = Stopwatch.StartNew();

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AsyncRequests_AppHost>(
            [
                "--LocalServers=true",
                $"--LocalServers:DataDirectory={DataDirectory}",
                "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
            ],
            (options, _) => options.DisableDashboard = false,
            ct);

        // A killed replica's message comes back after the visibility timeout: seconds here, not the default minute.
        foreach (var service in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(service).WithEnvironment("Queue__VisibilityTimeoutSeconds", "10");
        }

        _app = await builder.BuildAsync(ct);
        _watching = WatchInstancesAsync(_app, _stopping.Token);
        await _app.StartAsync(ct);
        foreach (var resource in Servers())
        {
            // Fails at once, with the resource's state, when a resource fails to start.
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(resource.Name, WaitBehavior.StopOnResourceUnavailable, ct);
        }

        // The wait above is satisfied by one replica; the tests need both.
        await Eventually.HoldsAsync(
            () => Servers().SelectMany(Instances).All(instance => _instances[instance].Snapshot.HealthStatus == HealthStatus.Healthy),
            () => $"Not every instance became healthy: {string.Join(", ", _instances.Values.Select(e => $"{e.ResourceId} {e.Snapshot.State?.Text} {e.Snapshot.HealthStatus}"))}",
            StartupTimeout);

        StartupTime = stopwatch.Elapsed;

        // Its ports are chosen at random under test.
        var dashboard = (IResourceWithEndpoints)Resource("aspire-dashboard");
        Dashboard.BaseAddress = new Uri(dashboard.GetEndpoints().First(endpoint => endpoint.EndpointName is "http" or "https").Url);
        if (_app.Services.GetRequiredService<IConfiguration>()["AppHost:DashboardApiKey"] is { Length: > 0 } apiKey)
        {
            Dashboard.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }
    }

    /// <summary>The resources that run as processes and report health: everything but the init step.</summary>
    public IEnumerable<IResource> Servers() =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(resource => resource.Name is "postgres" or "requestsdb" or "sqs" or "api" or "processor");

    public IResource Resource(string name) =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(resource => resource.Name == name);

    /// <summary>The ids of a resource's instances: one, or one per replica.</summary>
    public IReadOnlyList<string> Instances(IResource resource) =>
        [.. _instances.Values.Where(e => e.Resource == resource).Select(e => e.ResourceId).Order()];

    /// <summary>The latest state of a resource instance.</summary>
    public ResourceEvent State(string instance) => _instances[instance];

    /// <summary>Stops the AppHost, as Ctrl+C does.</summary>
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _stopping.CancelAsync();
            await _watching;
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Dashboard.Dispose();
        _stopping.Dispose();
        _dataDirectory.Delete(recursive: true);
    }

    private async Task WatchInstancesAsync(DistributedApplication app, CancellationToken ct)
    {
        try
        {
            await foreach (var resourceEvent in app.ResourceNotifications.WatchAsync(ct))
            {
                _instances[resourceEvent.ResourceId] = resourceEvent;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped with the app.
        }
    }

    // Open to other users (755): as root, the PostgreSQL server runs as the postgres user, which must reach its folder.
    private static DirectoryInfo CreateDataDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("asyncrequests-apphost-");
        if (!OperatingSystem.IsWindows())
        {
            directory.UnixFileMode |= UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        }

        return directory;
    }
}
