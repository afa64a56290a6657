using AsyncRequests.Api.Requests;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

public sealed class TypeConcurrencyTests(TestServers servers)
{
    [Fact]
    public async Task A_short_request_completes_while_slow_requests_fill_their_types_limit()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Processor:MaxConcurrency"] = "3",
            ["Processor:TypeConcurrency:text-analysis"] = "2",
        });
        var slow = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            slow.Add(await pipeline.SubmitAsync("text-analysis", new { text = $"slow document {i}", delayMs = 30_000 }));
        }

        foreach (var id in slow.Take(2))
        {
            await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Processing);
        }

        var quick = await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 21 });
        var done = await pipeline.WaitForTerminalAsync(quick, TimeSpan.FromSeconds(60));
        Assert.Equal(RequestStatus.Succeeded, done.Status);

        // Done while the slow ones still run: two at a time, the others waiting without an attempt spent.
        var others = new List<RequestStatusDocument>();
        foreach (var id in slow)
        {
            others.Add(await pipeline.GetAsync(id));
        }

        Assert.Equal(2, others.Count(d => d.Status == RequestStatus.Processing));
        Assert.All(others.Where(d => d.Status != RequestStatus.Processing), d => Assert.Equal((RequestStatus.Pending, 0), (d.Status, d.Attempts)));
    }
}
