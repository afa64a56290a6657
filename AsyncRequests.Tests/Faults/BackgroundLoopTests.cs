using AsyncRequests.Processor.Polling;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AsyncRequests.Tests.Faults;

public sealed class BackgroundLoopTests(TestServers servers)
{
    [Fact]
    public async Task The_cancellation_watcher_keeps_running_through_a_broken_schema_and_works_once_it_is_fixed()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);
        pipeline.StartProcessor(logs.AddTo);
        var id = await pipeline.SubmitAsync("text-analysis", new { text = "a long job", delayMs = 60_000 });
        await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Processing);

        // Not an outage: a query that can never succeed until someone fixes the schema.
        await ExecuteAsync(pipeline, "ALTER TABLE requests RENAME COLUMN cancel_requested TO cancel_requested_renamed");
        await logs.WaitForAsync(e => e.Exception is PostgresException { SqlState: PostgresErrorCodes.UndefinedColumn });
        await ExecuteAsync(pipeline, "ALTER TABLE requests RENAME COLUMN cancel_requested_renamed TO cancel_requested");

        using var cancel = await pipeline.Client.PostAsync($"/requests/{id}/cancel", null, TestContext.Current.CancellationToken);
        var cancelled = await pipeline.WaitForTerminalAsync(id);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Cancelled], cancelled.History.Select(h => h.Status));
        var after = await pipeline.WaitForTerminalAsync(await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 21 }));
        Assert.Equal(RequestStatus.Succeeded, after.Status);
    }

    [Fact]
    public async Task A_processor_started_before_the_schema_exists_waits_without_logging_errors()
    {
        var logs = new CapturedLogs();
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Database:MigrateOnStartup"] = "false",
        });
        pipeline.StartProcessor(services =>
        {
            logs.AddTo(services);
            services.Configure<LoggerFilterOptions>(options => options.AddFilter<CapturedLogs>(typeof(DatabaseGate).FullName, LogLevel.Debug));
        });

        // Several checks of the schema, each logged at Debug after the first.
        await logs.WaitUntilAsync(entries => entries.Count(e => e.Category == typeof(DatabaseGate).FullName && e.Level == LogLevel.Debug) >= 5);
        await pipeline.RestartApiAsync(new Dictionary<string, string?> { ["Database:MigrateOnStartup"] = "true" });
        var done = await pipeline.WaitForTerminalAsync(await pipeline.SubmitAsync("multiply", new { num1 = 3, num2 = 4 }));

        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    private static async Task ExecuteAsync(Infrastructure.Pipeline pipeline, string sql)
    {
        await using var db = pipeline.CreateDbContext();
        await db.Database.ExecuteSqlRawAsync(sql, TestContext.Current.CancellationToken);
    }
}
