using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Pipeline;

public sealed class CompetingConsumersTests(TestServers servers)
{
    [Fact]
    public async Task Two_processors_on_one_queue_complete_200_requests_each_handled_exactly_once()
    {
        const int count = 200;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 2);

        var ids = new Guid[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            ids[i] = await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 3 }));
        foreach (var id in ids)
        {
            await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(120));
        }

        await using var db = pipeline.CreateDbContext();
        var requests = await db.Requests.AsNoTracking().Include(r => r.History).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(count, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.Equal(RequestStatus.Succeeded, r.Status);
            Assert.Equal(1, r.Attempts);
            Assert.Single(r.History, h => h.Status == RequestStatus.Processing);
            Assert.Single(r.History, h => h.Status == RequestStatus.Succeeded);
        });
        var products = requests.Select(r => System.Text.Json.JsonElement.Parse(r.Result!).GetProperty("product").GetDouble()).Order();
        Assert.Equal(Enumerable.Range(0, count).Select(i => i * 3.0), products);
    }
}
