using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Pipeline;

public sealed class OutboxRelayTests(TestServers servers)
{
    [Fact]
    public async Task Requests_accepted_while_SQS_is_unreachable_complete_once_it_is_back()
    {
        await using var sqs = await SqsServer.StartAsync(persistent: true, TestContext.Current.CancellationToken);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, sqs: sqs);
        await pipeline.WaitForTerminalAsync(await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 1 }));

        await sqs.StopAsync();
        var ids = new List<Guid>();
        for (var i = 1; i <= 5; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 10 }));
        }

        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal(5, await db.Requests.CountAsync(r => ids.Contains(r.Id) && r.PublishedAt == null, TestContext.Current.CancellationToken));
        }

        await sqs.StartAgainAsync(TestContext.Current.CancellationToken);

        for (var i = 1; i <= 5; i++)
        {
            var done = await pipeline.WaitForTerminalAsync(ids[i - 1], TimeSpan.FromSeconds(60));
            Assert.Equal(RequestStatus.Succeeded, done.Status);
            Assert.Equal(i * 10, done.Result!.Value.GetProperty("product").GetDouble());
        }

        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal(0, await db.Requests.CountAsync(r => r.PublishedAt == null, TestContext.Current.CancellationToken));
        }
    }
}
