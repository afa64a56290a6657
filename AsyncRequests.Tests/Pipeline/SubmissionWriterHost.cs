using AsyncRequests.Api;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests;
using AsyncRequests.Requests.RequestTypes;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>
/// The Api's submission writer on its own, with a migrated database and its queues, not yet started: a test
/// queues submits first when it needs them in one batch. Disposing stops the writer once started.
/// </summary>
public sealed class SubmissionWriterHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private bool _started;

    private SubmissionWriterHost(ServiceProvider services) => _services = services;

    public IServiceProvider Services => _services;

    public SubmissionWriter Writer => _services.GetRequiredService<SubmissionWriter>();

    public NpgsqlDataSource DataSource => _services.GetRequiredService<NpgsqlDataSource>();

    public static async Task<SubmissionWriterHost> CreateAsync(TestServers servers, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var name = $"t{Guid.NewGuid():N}"[..20];
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:requestsdb"] = await servers.Postgres.CreateDatabaseAsync(name, TestContext.Current.CancellationToken),
            ["AWS:ServiceURL"] = servers.Sqs.ServiceUrl.ToString(),
            ["AWS:Region"] = servers.Sqs.Region,
            ["Queue:QueueName"] = $"{name}-requests",
            ["Queue:DeadLetterQueueName"] = $"{name}-requests-dlq",
            ["Queue:AutoCreateQueues"] = "true",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddLogging();
        builder.AddRequestStore();
        builder.AddRequestQueue();
        builder.AddRequestsApi();
        builder.AddOutboxRelay();
        var host = new SubmissionWriterHost(builder.Services.BuildServiceProvider());
        await using var db = await host.CreateDbContextAsync();
        await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
        return host;
    }

    public static AsyncRequest NewRequest(int num1, string? key)
    {
        var input = RequestTypeCatalog.Serialize(new MultiplyInput { Num1 = num1, Num2 = 10 });
        var now = DateTimeOffset.UtcNow;
        return new AsyncRequest
        {
            Id = Guid.CreateVersion7(now),
            Type = "multiply",
            Input = input,
            CreatedAt = now.AddTicks(-(now.Ticks % 10)),
            UpdatedAt = now,
            IdempotencyKey = key,
            RequestHash = key is null ? null : RequestTypeCatalog.Hash("multiply", input),
        };
    }

    public Task<RequestsDbContext> CreateDbContextAsync() =>
        _services.GetRequiredService<IDbContextFactory<RequestsDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken);

    public async Task StartAsync()
    {
        await Writer.StartAsync(TestContext.Current.CancellationToken);
        _started = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await Writer.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
    }
}
