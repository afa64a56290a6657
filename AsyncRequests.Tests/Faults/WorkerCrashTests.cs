using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Faults;

public sealed class WorkerCrashTests(TestServers servers)
{
    private const int VisibilityTimeoutSeconds = 5;
    private const int WaitTimeSeconds = 2;

    [Fact]
    public async Task Requests_of_a_worker_killed_mid_job_are_finished_once_by_another_worker()
    {
        const int count = 6;
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Queue:VisibilityTimeoutSeconds"] = $"{VisibilityTimeoutSeconds}",
            ["Processor:WaitTimeSeconds"] = $"{WaitTimeSeconds}",
        });
        var doomed = pipeline.StartProcessorProcess();
        var ids = new List<Guid>();
        for (var i = 1; i <= count; i++)
        {
            ids.Add(await pipeline.SubmitAsync("multiply", new { num1 = i, num2 = 7, delayMs = 4000 }));
        }

        foreach (var id in ids)
        {
            await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Processing);
        }

        await doomed.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;
        pipeline.StartProcessor();

        for (var i = 1; i <= count; i++)
        {
            var done = await pipeline.WaitForTerminalAsync(ids[i - 1], TimeSpan.FromSeconds(60));
            Assert.Equal(RequestStatus.Succeeded, done.Status);
            Assert.Equal(i * 7, done.Result!.Value.GetProperty("product").GetDouble());
            Assert.Equal(2, done.Attempts);
            Assert.Equal(
                [RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Processing, RequestStatus.Succeeded],
                done.History.Select(h => h.Status));

            // The survivor takes over once the dead worker's visibility and lease lapse, plus at most one poll.
            var takeover = done.History.Last(h => h.Status == RequestStatus.Processing).At;
            Assert.True(
                takeover - killedAt <= TimeSpan.FromSeconds(VisibilityTimeoutSeconds + WaitTimeSeconds + 3),
                $"Takeover came {takeover - killedAt} after the kill.");
        }
    }

    [Fact]
    public async Task A_crash_on_the_last_attempt_dead_letters_the_message_and_fails_the_request()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Queue:VisibilityTimeoutSeconds"] = "3",
            ["Queue:MaxReceiveCount"] = "1",
            ["Processor:MaxAttempts"] = "1",
        });
        var doomed = pipeline.StartProcessorProcess();
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 2, delayMs = 60_000 });
        await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Processing);

        await doomed.KillAsync();
        pipeline.StartProcessor();

        var done = await pipeline.WaitForTerminalAsync(id);
        Assert.Equal(RequestStatus.Failed, done.Status);
        Assert.StartsWith("Dead-lettered", done.Error);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Failed], done.History.Select(h => h.Status));
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.DeadLetterQueueName);
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.QueueName);
    }
}
