using AsyncRequests.Requests.Storage;
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
}
