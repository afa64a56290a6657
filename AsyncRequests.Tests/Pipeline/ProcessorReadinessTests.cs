using System.Net;
using Amazon.SQS.Model;
using AsyncRequests.Processor;
using AsyncRequests.Processor.Polling;
using AsyncRequests.Processor.Processing;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AsyncRequests.Tests.Pipeline;

public sealed class ProcessorReadinessTests(TestServers servers)
{
    [Fact]
    public async Task A_processor_whose_pollers_cannot_receive_is_not_ready_until_they_can()
    {
        // Nothing migrates the schema, so the pollers wait before their first receive, as a stuck worker would.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Database:MigrateOnStartup"] = "false",
            ["Processor:WaitTimeSeconds"] = "1",
        });
        var processor = pipeline.StartProcessor();
        using var client = processor.CreateClient();

        await WaitForStatusAsync(client, "/health", HttpStatusCode.ServiceUnavailable);
        using (var alive = await client.GetAsync("/alive", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }

        var report = await processor.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);
        var unhealthy = Assert.Single(report.Entries, e => e.Value.Status != HealthStatus.Healthy);
        Assert.Equal(ReceiveLoopHealthCheck.Name, unhealthy.Key);
        Assert.Contains("no receive", unhealthy.Value.Description, StringComparison.OrdinalIgnoreCase);

        await using (var db = pipeline.CreateDbContext())
        {
            await db.Database.MigrateAsync(TestContext.Current.CancellationToken);
        }

        await WaitForStatusAsync(client, "/health", HttpStatusCode.OK);
    }

    [Fact]
    public void The_processor_waits_for_the_newest_migration_of_the_request_store()
    {
        // The Processor has no EF Core to ask which migrations exist: it waits for the one named here.
        using var db = new RequestsDbContext(new DbContextOptionsBuilder<RequestsDbContext>().UseNpgsql("Host=localhost").Options);

        Assert.Equal(RequestStoreSchema.LatestMigration, db.Database.GetMigrations().Last());
        Assert.Equal(RequestStoreSchema.MigrationsHistoryTable, HistoryRepository.DefaultTableName);
    }

    [Fact]
    public async Task The_receive_loops_are_ready_while_starting_and_not_after_three_wait_periods_without_a_receive()
    {
        var (check, time, _) = CreateCheck(waitTimeSeconds: 20);

        Assert.Equal(HealthStatus.Healthy, await StatusAsync(check));
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(HealthStatus.Healthy, await StatusAsync(check));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HealthStatus.Unhealthy, await StatusAsync(check));

        check.ReceiveCompleted("requests");
        Assert.Equal(HealthStatus.Healthy, await StatusAsync(check));
    }

    [Fact]
    public async Task One_stalled_queue_makes_the_processor_not_ready_even_when_another_keeps_receiving()
    {
        var (check, time, _) = CreateCheck(waitTimeSeconds: 20);
        check.ReceiveCompleted("requests");
        check.ReceiveCompleted("dead-letters");

        for (var i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromSeconds(20));
            check.ReceiveCompleted("dead-letters");
        }

        var result = await check.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("requests", result.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("dead-letters", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Running_handlers_excuse_a_poller_that_waits_for_a_free_slot()
    {
        var (check, time, running) = CreateCheck(waitTimeSeconds: 20);
        check.ReceiveCompleted("requests");

        using (running.Start(Guid.CreateVersion7(), Guid.CreateVersion7(), new InFlightMessage(new Message(), "requests", [], 0), CancellationToken.None))
        {
            time.Advance(TimeSpan.FromMinutes(5));
            Assert.Equal(HealthStatus.Healthy, await StatusAsync(check));
        }

        Assert.Equal(HealthStatus.Unhealthy, await StatusAsync(check));
    }

    [Fact]
    public async Task Short_waits_still_allow_ten_seconds_between_receives()
    {
        var (check, time, _) = CreateCheck(waitTimeSeconds: 0);
        check.ReceiveCompleted("requests");

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(HealthStatus.Healthy, await StatusAsync(check));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HealthStatus.Unhealthy, await StatusAsync(check));
    }

    private static (ReceiveLoopHealthCheck Check, FakeTimeProvider Time, RunningRequests Running) CreateCheck(int waitTimeSeconds)
    {
        var time = new FakeTimeProvider();
        var running = new RunningRequests();
        var check = new ReceiveLoopHealthCheck(running, Options.Create(new ProcessorOptions { WaitTimeSeconds = waitTimeSeconds }), time);
        return (check, time, running);
    }

    private static async Task<HealthStatus> StatusAsync(ReceiveLoopHealthCheck check) =>
        (await check.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken)).Status;

    private static async Task WaitForStatusAsync(HttpClient client, string path, HttpStatusCode expected)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            using var response = await client.GetAsync(path, CancellationToken.None);
            if (response.StatusCode == expected)
            {
                return;
            }

            Assert.False(deadline.IsCancellationRequested, $"{path} still answers {(int)response.StatusCode}, not {(int)expected}.");
            await Task.Delay(250, CancellationToken.None);
        }
    }
}
