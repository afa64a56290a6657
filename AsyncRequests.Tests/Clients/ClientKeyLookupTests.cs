using AsyncRequests.Api.Clients;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AsyncRequests.Tests.Clients;

public sealed class ClientKeyLookupTests(TestServers servers)
{
    private const int Callers = 50;

    [Fact]
    public async Task Calls_that_miss_the_cache_at_once_share_one_database_read_per_entry()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: TestClients.Settings());
        var client = await pipeline.CreateAsync("busy");
        var poolName = $"lookup-{Guid.NewGuid():N}";
        var builder = new NpgsqlDataSourceBuilder(pipeline.Settings["ConnectionStrings:requestsdb"]) { Name = poolName };
        await using var dataSource = builder.Build();
        await using (var warmUp = dataSource.CreateCommand("SELECT 1"))
        {
            await warmUp.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        }

        using var lookup = new ClientKeyLookup(dataSource, TimeProvider.System, Options.Create(new ClientOptions()));
        using var operations = new MetricCollector<double>(null, "Npgsql", "db.client.operation.duration");

        // Every call starts while the table is locked, so none can have found its entry cached before the others missed it.
        List<Task> calls;
        await using (var locked = new NpgsqlConnection(pipeline.Settings["ConnectionStrings:requestsdb"]))
        {
            await locked.OpenAsync(TestContext.Current.CancellationToken);
            await using var transaction = await locked.BeginTransactionAsync(TestContext.Current.CancellationToken);
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE clients IN ACCESS EXCLUSIVE MODE", locked, transaction))
            {
                await lockTable.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            calls =
            [
                .. Enumerable.Range(0, Callers).Select(_ => lookup.FindClientAsync(client.Key, TestContext.Current.CancellationToken).AsTask()),
                .. Enumerable.Range(0, Callers).Select(_ => lookup.FindLimitsAsync("another-client", TestContext.Current.CancellationToken).AsTask()),
            ];
            await transaction.RollbackAsync(TestContext.Current.CancellationToken);
        }

        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.All(calls.Take(Callers), call => Assert.Equal(client.Id, ((Task<string?>)call).Result));
        var reads = operations.GetMeasurementSnapshot()
            .Count(m => Equals(m.Tags.GetValueOrDefault("db.client.connection.pool.name"), poolName));
        Assert.Equal(2, reads);
    }
}
