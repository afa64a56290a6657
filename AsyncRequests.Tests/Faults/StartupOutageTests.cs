using System.Net;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace AsyncRequests.Tests.Faults;

/// <summary>Services started while a dependency is down wait for it, say so on <c>/health</c>, and work once it is back.</summary>
public sealed class StartupOutageTests(TestServers servers)
{
    [Fact]
    public async Task A_processor_started_while_SQS_is_down_waits_for_it_and_every_accepted_request_completes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sqs = await SqsServer.StartAsync(persistent: true, ct);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, sqs: sqs);
        var first = pipeline.StartProcessorProcess();
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 3, delayMs = 2000 }));
        }

        await pipeline.WaitUntilAsync(ids[0], d => d.Status == RequestStatus.Processing);
        await first.KillAsync();
        await sqs.StopAsync();
        var replacement = pipeline.StartProcessorProcess();
        using var health = await ProcessHttp.ClientForAsync(replacement);

        await ProcessHttp.WaitForHealthAsync(health, HttpStatusCode.ServiceUnavailable, "Processor");
        for (var i = 10; i < 20; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 3 }));
        }

        Assert.False(replacement.HasExited);
        await sqs.StartAgainAsync(ct);

        var statuses = new List<RequestStatus>();
        foreach (var id in ids)
        {
            statuses.Add((await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(120))).Status);
        }

        Assert.Equal(Enumerable.Repeat(RequestStatus.Succeeded, ids.Count), statuses);
        await ProcessHttp.WaitForHealthAsync(health, HttpStatusCode.OK, "Processor");
    }

    [Fact]
    public async Task An_api_started_while_PostgreSQL_is_down_waits_to_migrate_and_then_takes_requests()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new CapturedLogs();
        await using var postgres = await PostgresServer.StartAsync(ct);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, postgres: postgres, configureServices: logs.AddTo);
        await postgres.StopAsync(ct);

        var restarting = Task.Run(() => pipeline.RestartApiAsync(new Dictionary<string, string?>()), ct);
        await Eventually.HoldsAsync(
            () => restarting.IsCompleted || logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("migrations", StringComparison.Ordinal)),
            () => "The restarted Api neither failed nor waited for the database.");
        await postgres.StartAgainAsync(ct);
        await restarting;

        var done = await pipeline.WaitForTerminalAsync(await pipeline.SubmitAsync("multiply", new { num1 = 6, num2 = 7 }), TimeSpan.FromSeconds(60));
        Assert.Equal(RequestStatus.Succeeded, done.Status);
    }
}
