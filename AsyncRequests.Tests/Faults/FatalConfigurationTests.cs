using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Faults;

public sealed class FatalConfigurationTests(TestServers servers)
{
    [Fact]
    public async Task A_processor_whose_queue_does_not_exist_stops_with_a_failing_exit_code()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        var processor = pipeline.StartProcessorProcess(new Dictionary<string, string?>
        {
            ["Queue:AutoCreateQueues"] = "false",
            ["Queue:QueueName"] = $"missing-{Guid.NewGuid():N}",
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await processor.WaitForExitAsync(timeout.Token));
    }

    [Fact]
    public async Task A_processor_with_a_concurrency_limit_for_an_unknown_type_does_not_start()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        var processor = pipeline.StartProcessorProcess(new Dictionary<string, string?>
        {
            ["Processor:TypeConcurrency:text-analysys"] = "2",
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, await processor.WaitForExitAsync(timeout.Token));
    }
}
