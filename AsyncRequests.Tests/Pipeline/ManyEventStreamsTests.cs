using AsyncRequests.Tests.Infrastructure;
using Npgsql;

namespace AsyncRequests.Tests.Pipeline;

public sealed class ManyEventStreamsTests(TestServers servers)
{
    private const int Streams = 500;

    /// <summary>
    /// What the Api may hold however many streams wait: the listener's own connection, the pool connection
    /// that reads for the streams, and the few its writers and background loops keep open.
    /// </summary>
    private const int MaxApiConnections = 10;

    [Fact]
    public async Task Five_hundred_waiting_streams_hold_a_few_database_connections_and_all_get_their_terminal_event()
    {
        // The production pool size: room for every stream to take a connection of its own, were it to.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Database:MaxPoolSize"] = "100",
        });
        var ids = await Task.WhenAll(Enumerable.Range(0, Streams).Select(i => pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 2 })));
        await using var observer = await OpenObserverAsync(pipeline);

        var clients = ids.Select(id => new EventSourceClient(pipeline.Client, id)).ToList();
        var following = clients.Select(c => c.FollowAsync(TestContext.Current.CancellationToken)).ToList();
        var mostConnections = 0;
        foreach (var client in clients)
        {
            await client.WaitForAsync(d => d.Status == RequestStatus.Pending, TimeSpan.FromSeconds(120));
            mostConnections = Math.Max(mostConnections, await CountApiConnectionsAsync(observer));
        }

        pipeline.StartProcessor();
        await Task.WhenAll(following).WaitAsync(TimeSpan.FromSeconds(180), TestContext.Current.CancellationToken);

        Assert.True(mostConnections <= MaxApiConnections, $"The Api held {mostConnections} connections while {Streams} streams waited.");
        Assert.All(clients, client =>
        {
            Assert.Equal(RequestStatus.Succeeded, client.Documents.Last().Status);
            Assert.Single(client.Documents, d => d.Status.IsTerminal());
            Assert.Empty(client.BrokenStreams);
        });
    }

    private static async Task<NpgsqlConnection> OpenObserverAsync(Infrastructure.Pipeline pipeline)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(pipeline.Settings["ConnectionStrings:requestsdb"]) { Pooling = false }.ConnectionString;
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    /// <summary>With no Processor running, every other session on the pipeline's database is the Api's.</summary>
    private static async Task<int> CountApiConnectionsAsync(NpgsqlConnection observer)
    {
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", observer);
        return (int)(long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
