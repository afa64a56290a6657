using AsyncRequests.Requests.Queue;
using AsyncRequests.Requests.Storage;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Faults;

public sealed class DuplicateDeliveryTests(TestServers servers)
{
    [Fact]
    public async Task The_same_message_delivered_twice_runs_the_handler_once()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Queue:VisibilityTimeoutSeconds"] = "3",
        });
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 9, num2 = 9, delayMs = 500 });
        var queueUrl = (await pipeline.Sqs.GetQueueUrlAsync(pipeline.QueueName, TestContext.Current.CancellationToken)).QueueUrl;
        await pipeline.Sqs.SendMessageAsync(queueUrl, new RequestMessage(id, "multiply").ToJson(), TestContext.Current.CancellationToken);

        pipeline.StartProcessor();

        var done = await pipeline.WaitForTerminalAsync(id);
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.QueueName);
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Equal([RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Succeeded], (await pipeline.GetAsync(id)).History.Select(h => h.Status));
    }
}
