using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Faults;

public sealed class ApiCrashTests(TestServers servers)
{
    [Fact]
    public async Task Requests_committed_but_never_sent_are_sent_by_the_relay_after_the_api_restarts()
    {
        // The first Api cannot send at all: every request it accepts is committed but never sent.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["AWS:ServiceURL"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Outbox:IntervalSeconds"] = "3600",
        });
        var ids = new List<Guid>();
        for (var i = 1; i <= 3; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 5 }));
        }

        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal(3, await db.Requests.CountAsync(r => r.PublishedAt == null, TestContext.Current.CancellationToken));
        }

        await pipeline.RestartApiAsync(new Dictionary<string, string?>
        {
            ["AWS:ServiceURL"] = servers.Sqs.ServiceUrl.ToString(),
            ["Outbox:IntervalSeconds"] = "1",
        });
        pipeline.StartProcessor();

        foreach (var id in ids)
        {
            var done = await pipeline.WaitForTerminalAsync(id);
            Assert.Equal(RequestStatus.Succeeded, done.Status);
            Assert.Single(done.History, h => h.Status == RequestStatus.Processing);
        }
    }

    [Fact]
    public async Task Requests_accepted_while_SQS_is_down_by_an_api_killed_before_sending_all_succeed_once_after_it_restarts()
    {
        const int Accepted = 300;
        await using var sqs = await SqsServer.StartAsync(persistent: true, TestContext.Current.CancellationToken);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, sqs: sqs);
        await pipeline.WaitForTerminalAsync(await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 1 }));

        // The Api runs as a real process, so that it can be killed with SIGKILL: nothing of its shutdown runs.
        await pipeline.StopApiAsync();
        var (api, client) = await pipeline.StartApiProcessAsync();
        using (client)
        {
            // Ready, as a load balancer would wait for: the process answers before it has migrated.
            await ProcessHttp.WaitForHealthAsync(client, HttpStatusCode.OK, "Api");
            await sqs.StopAsync();
            var submits = Enumerable.Range(1, Accepted).Select(async i =>
            {
                using var response = await client.PostAsJsonAsync("/requests", new { type = "multiply", input = new { num1 = i, num2 = 3 } }, TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            });
            await Task.WhenAll(submits);
            await api.KillAsync();
        }

        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal(Accepted, await db.Requests.CountAsync(r => r.PublishedAt == null, TestContext.Current.CancellationToken));
        }

        await sqs.StartAgainAsync(TestContext.Current.CancellationToken);
        await pipeline.RestartApiAsync(new Dictionary<string, string?>());

        await using (var db = pipeline.CreateDbContext())
        {
            await Eventually.HoldsAsync(
                async () => await db.Requests.CountAsync(r => r.Status != RequestStatus.Succeeded) == 0,
                () => "Not every request accepted before the crash succeeded.",
                TimeSpan.FromSeconds(120));
            var processedTwice = await db.StatusChanges
                .Where(c => c.Status == RequestStatus.Processing || c.Status == RequestStatus.Succeeded)
                .GroupBy(c => new { c.RequestId, c.Status })
                .Where(g => g.Count() > 1)
                .CountAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, processedTwice);
            Assert.Equal(Accepted + 1, await db.Requests.CountAsync(TestContext.Current.CancellationToken));
            Assert.Equal(0, await db.Requests.CountAsync(r => r.PublishedAt == null, TestContext.Current.CancellationToken));
        }
    }
}
