using AsyncRequests.Tests.Infrastructure;
using Npgsql;

namespace AsyncRequests.Tests.Faults;

public sealed class FatalConfigurationTests(TestServers servers)
{
    [Fact]
    public async Task A_processor_whose_queue_does_not_exist_stops_with_a_failing_exit_code()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        var processor = pipeline.StartProcessorProcess(new Dictionary<string, string?>
        {
            ["Queue:AutoCreateQueues"] = "false",
            ["Queue:QueueName"] = $"missing-{Guid.NewGuid():N}",
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        Assert.Equal(1, await processor.WaitForExitAsync(timeout.Token));
    }

    [Fact]
    public async Task A_processor_with_a_concurrency_limit_for_an_unknown_type_does_not_start()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        var processor = pipeline.StartProcessorProcess(new Dictionary<string, string?>
        {
            ["Processor:TypeConcurrency:text-analysys"] = "2",
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        Assert.NotEqual(0, await processor.WaitForExitAsync(timeout.Token));
    }

    [Fact]
    public async Task A_processor_whose_client_concurrency_exceeds_its_slots_does_not_start()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        var processor = pipeline.StartProcessorProcess(new Dictionary<string, string?>
        {
            ["Processor:MaxConcurrency"] = "4",
            ["Processor:ClientConcurrency"] = "5",
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        Assert.NotEqual(0, await processor.WaitForExitAsync(timeout.Token));
    }

    [Fact]
    public async Task An_api_whose_migration_does_not_apply_stops_with_a_failing_exit_code()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        var database = await servers.Postgres.CreateDatabaseAsync($"t{Guid.NewGuid():N}"[..20], ct);
        await using (var connection = new NpgsqlConnection(database))
        {
            // A history table EF cannot read: not an outage to wait out, but a schema an operator must fix.
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("""CREATE TABLE "__EFMigrationsHistory" (unexpected int)""", connection);
            await command.ExecuteNonQueryAsync(ct);
        }

        var api = pipeline.StartApiProcess(new Dictionary<string, string?> { ["ConnectionStrings:requestsdb"] = database });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        Assert.Equal(1, await api.WaitForExitAsync(timeout.Token));
    }
}
