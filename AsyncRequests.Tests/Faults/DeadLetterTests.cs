using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Faults;

public sealed class DeadLetterTests(TestServers servers)
{
    [Fact]
    public async Task A_request_whose_message_is_dead_lettered_by_rolling_restarts_still_succeeds()
    {
        const int maxReceiveCount = 2;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Queue:MaxReceiveCount"] = $"{maxReceiveCount}",
            ["Processor:MaxAttempts"] = "3",
            ["Processor:DrainTimeoutSeconds"] = "0",
        });
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 6, num2 = 7, delayMs = 8000 });

        // Each restart hands the running request back: a receive spent, no attempt used.
        for (var restart = 0; restart < maxReceiveCount; restart++)
        {
            var processor = pipeline.StartProcessor();
            await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Processing);
            await processor.DisposeAsync();
            var handedBack = await pipeline.GetAsync(id);
            Assert.Equal(RequestStatus.Pending, handedBack.Status);
            Assert.Equal(0, handedBack.Attempts);
        }

        // The next receive moves the message to the dead-letter queue; the request still has every attempt left.
        pipeline.StartProcessor();

        var done = await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(90));
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Equal("42", done.Result!.Value.GetProperty("product").GetRawText());
        Assert.Equal(1, done.Attempts);
        // A stopping worker also hands back what its last long poll brought, so a restart can spend more
        // than one receive: the message may take the detour through the dead-letter queue more than once.
        var requeued = done.History.Where(h => h.Detail?.StartsWith("re-queued", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(requeued);
        Assert.All(requeued, h => Assert.Equal(RequestStatus.Pending, h.Status));
        // Workers got the message exactly MaxReceiveCount times; the count read in the dead-letter queue is
        // larger (the receive that moved it and the watcher's own receives count too), so it is not what is told.
        Assert.All(requeued, h => Assert.StartsWith($"re-queued: its message was dead-lettered after {maxReceiveCount} receives (Queue:MaxReceiveCount)", h.Detail, StringComparison.Ordinal));
        Assert.Single(done.History, h => h.Status == RequestStatus.Succeeded);
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.DeadLetterQueueName);
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.QueueName);
    }
}
