using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

public sealed class RetryTests(TestServers servers)
{
    [Fact]
    public async Task A_transient_failure_is_retried_up_to_max_attempts_then_fails_with_the_attempt_count()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?> { ["Processor:MaxAttempts"] = "3" });
        var id = await pipeline.SubmitAsync("fail", new { mode = "transient" });

        var done = await pipeline.WaitForTerminalAsync(id);

        Assert.Equal(RequestStatus.Failed, done.Status);
        Assert.Equal(3, done.Attempts);
        Assert.StartsWith("Gave up after 3 attempts", done.Error);
        Assert.Equal(
            [
                RequestStatus.Pending,
                RequestStatus.Processing, RequestStatus.Pending,
                RequestStatus.Processing, RequestStatus.Pending,
                RequestStatus.Processing, RequestStatus.Failed,
            ],
            done.History.Select(h => h.Status));
        Assert.Equal([1, 2, 3], done.History.Where(h => h.Status == RequestStatus.Processing).Select(h => h.Attempt));
    }

    [Fact]
    public async Task A_permanent_failure_fails_after_one_attempt()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: new Dictionary<string, string?> { ["Processor:MaxAttempts"] = "3" });
        var id = await pipeline.SubmitAsync("fail", new { mode = "permanent" });

        var done = await pipeline.WaitForTerminalAsync(id);

        Assert.Equal(RequestStatus.Failed, done.Status);
        Assert.Equal(1, done.Attempts);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Failed], done.History.Select(h => h.Status));
    }
}
