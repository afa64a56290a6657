using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

public sealed class TypeConcurrencyTests(TestServers servers)
{
    [Fact]
    public async Task A_short_request_completes_while_slow_requests_fill_their_types_limit()
    {
        // Every slot open to one client (all these requests are anonymous's), so only the type limit is at work.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Processor:MaxConcurrency"] = "3",
            ["Processor:TypeConcurrency:text-analysis"] = "2",
            ["Processor:ClientConcurrency"] = "3",
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

    [Fact]
    public async Task With_the_default_type_limit_a_short_request_completes_while_slow_requests_take_every_other_slot()
    {
        // No TypeConcurrency, so the default limit of all slots but one, with 8 slots: one more slow request than there
        // are slots. All are the anonymous client's, whose default limit would hold the short one back too (see ClientFairnessTests).
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?>
        {
            ["Processor:MaxConcurrency"] = "8",
            ["Processor:ClientConcurrency"] = "8",
        });
        var slow = new List<Guid>();
        for (var i = 0; i < 9; i++)
        {
            slow.Add(await pipeline.SubmitAsync("text-analysis", new { text = $"slow document {i}", delayMs = 60_000 }));
        }

        await Eventually.HoldsAsync(
            async () => await CountProcessingAsync(pipeline, slow) >= 7,
            () => "The slow requests never took the slots.");

        var quick = await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 21 });
        var done = await pipeline.WaitForTerminalAsync(quick);
        Assert.Equal(RequestStatus.Succeeded, done.Status);

        // Done while the slow ones still run, one slot short of all: none of them has finished.
        Assert.Equal(7, await CountProcessingAsync(pipeline, slow));
        foreach (var id in slow)
        {
            Assert.False((await pipeline.GetAsync(id)).Status.IsTerminal());
        }
    }

    [Fact]
    public async Task With_the_default_type_limit_a_backlog_of_one_type_is_received_once_per_message()
    {
        // One type takes every slot but one by default; the free slot must not make the poller receive
        // messages it can neither start nor hold. With one receive allowed, any message received twice
        // goes through the dead-letter queue, and its request shows it in its history. 8 slots, so that
        // the backlog is more than five times what the type may run.
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Queue:MaxReceiveCount"] = "1",
            ["Processor:MaxConcurrency"] = "8",
        });
        var ids = new List<Guid>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 2, delayMs = 1000 }));
        }

        pipeline.StartProcessor();
        foreach (var id in ids)
        {
            var done = await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(120));
            Assert.Equal(RequestStatus.Succeeded, done.Status);
            Assert.DoesNotContain(done.History, h => h.Detail?.StartsWith("re-queued", StringComparison.Ordinal) == true);
        }
    }

    private static async Task<int> CountProcessingAsync(Infrastructure.Pipeline pipeline, List<Guid> ids)
    {
        var processing = 0;
        foreach (var id in ids)
        {
            processing += (await pipeline.GetAsync(id)).Status == RequestStatus.Processing ? 1 : 0;
        }

        return processing;
    }
}
